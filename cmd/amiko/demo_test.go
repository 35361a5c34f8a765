package main

import (
	"strings"
	"testing"
)

func TestDemoCommand(t *testing.T) {
	newTestEnv(t) // the demo works in its own directory; HOME is a decoy
	checkNoLeak(t)
	var stdout, stderr syncBuffer
	r := &runner{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := r.run(t.Context(), []string{"demo"})
	if code != 0 {
		t.Fatalf("amiko demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"known_hosts", "SFTP"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	if code := r.run(t.Context(), []string{"demo", "extra"}); code != 2 {
		t.Errorf("amiko demo extra: exit %d, want 2", code)
	}
}
