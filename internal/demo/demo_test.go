package demo

import (
	"bytes"
	"context"
	"github.com/amiko-ssh/amiko/internal/leaktest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkNoLeak: see leaktest.Check.
func checkNoLeak(t *testing.T) { leaktest.Check(t) }

// TestRun runs the demo as `amiko demo` does: every step passes, the
// output shows what each step is about, and nothing is left behind (no
// goroutine, no temporary directory, nothing in HOME).
func TestRun(t *testing.T) {
	checkNoLeak(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "/nonexistent/agent.sock")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // hang guard
	defer cancel()

	var out bytes.Buffer
	err := Run(ctx, &out)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	text := out.String()
	for _, want := range []string{
		"ok   1. ", "*amiko.UnknownHostError",
		"ok   2. ", "known_hosts now holds:", "a new client with RejectPolicy",
		"ok   3. ", "*amiko.BadHostKeyError", "presented ssh-ed25519", "expected  ssh-ed25519",
		"ok   4. ", "server: publickey accepted",
		"ok   5. ", "server: publickey refused, password accepted",
		"ok   6. ", "*amiko.ExitError{Status: 3}", `stdout "hello\n"`,
		"ok   7. ", "the server's copy matches",
		"ok   all 7 steps passed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(text, "FAIL") {
		t.Errorf("output reports a failure")
	}
	// The download's hash is the upload's.
	sums := regexp.MustCompile(`sha256 ([0-9a-f]{64})`).FindAllStringSubmatch(text, -1)
	if len(sums) != 2 || sums[0][1] != sums[1][1] {
		t.Errorf("want two equal SHA-256 sums in the SFTP step, got %v", sums)
	}

	m := regexp.MustCompile(`files +(\S+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("output does not name the temporary directory")
	}
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("temporary directory %s left behind: %v", m[1], err)
	}
	if entries, err := os.ReadDir(home); err != nil || len(entries) != 0 {
		t.Errorf("HOME touched: %v %v", entries, err)
	}
}

// TestRunFails checks the failure path: with the context already
// cancelled every step fails, each is reported, Run returns an error,
// and still nothing is left behind.
func TestRunFails(t *testing.T) {
	checkNoLeak(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	err := Run(ctx, &out)
	t.Logf("output:\n%s", out.String())
	if err == nil {
		t.Fatal("Run succeeded with a cancelled context")
	}
	if got := strings.Count(out.String(), "\nFAIL "); got != 8 {
		t.Errorf("want 7 failed steps and the summary marked FAIL, got %d FAIL lines", got)
	}
	if !strings.Contains(out.String(), "7 of 7 steps failed") {
		t.Errorf("output lacks the summary")
	}
}
