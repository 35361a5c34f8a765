package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// escapeRecorder records what the escapes did.
type escapeRecorder struct {
	did []string
	msg bytes.Buffer
}

func (r *escapeRecorder) escapes(char byte) *escapes {
	return newEscapes(char, &r.msg, escapeActions{
		quit:      func() { r.did = append(r.did, "quit") },
		sendBreak: func() error { r.did = append(r.did, "break"); return nil },
		rekey:     func() error { r.did = append(r.did, "rekey"); return errors.New("rekey failed") },
		suspend:   func() { r.did = append(r.did, "suspend") },
		forwards:  func() []string { r.did = append(r.did, "list"); return []string{"127.0.0.1:1 <-> example.org:80"} },
	})
}

// TestEscapes: each escape, typed first on a line (the session's start
// counts), does its action and sends nothing; elsewhere, or followed by
// another character, the escape character is sent as typed; ~. drops
// the rest; an escape may be split across reads.
func TestEscapes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		char   byte
		in     []string // the reads
		out    string
		did    string
		quit   bool
		msgHas string
	}{
		{"plain", '~', []string{"echo hi\r"}, "echo hi\r", "", false, ""},
		{"terminate at the start", '~', []string{"~."}, "", "quit", true, "~.\r\n"},
		{"terminate drops the rest", '~', []string{"ls\r~.rm -rf /\r"}, "ls\r", "quit", true, ""},
		{"after LF", '~', []string{"a\n~.b"}, "a\n", "quit", true, ""},
		{"not mid-line", '~', []string{"a~.b"}, "a~.b", "", false, ""},
		{"split across reads", '~', []string{"x\r", "~", ".", "y"}, "x\r", "quit", true, ""},
		{"twice sends one", '~', []string{"~~.\r"}, "~.\r", "", false, ""},
		{"after ~~ not a line start", '~', []string{"~~~."}, "~~.", "", false, ""},
		{"unknown passes both", '~', []string{"~x\r~."}, "~x\r", "quit", true, ""},
		{"break", '~', []string{"~Bls\r"}, "ls\r", "break", false, "~B\r\n"},
		{"rekey error reported", '~', []string{"~R"}, "", "rekey", false, "rekey failed\r\n"},
		{"suspend", '~', []string{"~\x1a"}, "", "suspend", false, "[suspend amiko]"},
		{"list forwards", '~', []string{"~#"}, "", "list", false, "127.0.0.1:1 <-> example.org:80"},
		{"help", '~', []string{"~?"}, "", "", false, " ~.   - terminate connection\r\n"},
		{"help still at a line start", '~', []string{"~?~."}, "", "quit", true, ""},
		{"not implemented", '~', []string{"~C"}, "", "", false, "~C is not implemented"},
		{"another character", '^' & 31, []string{"~.\r\x1e."}, "~.\r", "quit", true, "^^.\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r escapeRecorder
			e := r.escapes(tc.char)
			var out []byte
			quit := false
			for _, in := range tc.in {
				var q bool
				out, q = e.filter(out, []byte(in))
				if q {
					quit = true
					break
				}
			}
			if string(out) != tc.out || strings.Join(r.did, ",") != tc.did || quit != tc.quit {
				t.Errorf("sent %q, did %v, quit %v; want %q, %q, %v", out, r.did, quit, tc.out, tc.did, tc.quit)
			}
			if !strings.Contains(r.msg.String(), tc.msgHas) {
				t.Errorf("said %q, want it to contain %q", r.msg.String(), tc.msgHas)
			}
		})
	}
}

func TestParseEscapeChar(t *testing.T) {
	for in, want := range map[string]int{"~": '~', "%": '%', "^]": 0x1d, "^a": 1, "none": escapeNone} {
		if got, err := parseEscapeChar(in); err != nil || got != want {
			t.Errorf("parseEscapeChar(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ab", "^ab", "none2"} {
		if _, err := parseEscapeChar(in); err == nil {
			t.Errorf("parseEscapeChar(%q): no error", in)
		}
	}
}

// FuzzEscapes: any input, read in any pieces, is passed on unchanged
// when it holds no escape character, and never grows by more than the
// escape characters it holds.
func FuzzEscapes(f *testing.F) {
	f.Add([]byte("echo hi\r~.rest"), uint8(3))
	f.Add([]byte("~~~?~#~B~R~C\n~x"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		var r escapeRecorder
		e := r.escapes('~')
		var out []byte
		step := int(split)%7 + 1
		for i := 0; i < len(in); i += step {
			var quit bool
			if out, quit = e.filter(out, in[i:min(i+step, len(in))]); quit {
				break
			}
		}
		if !bytes.ContainsRune(in, '~') && !bytes.Equal(out, in) {
			t.Fatalf("%q came out as %q", in, out)
		}
		if len(out) > len(in) {
			t.Fatalf("%q came out longer: %q", in, out)
		}
	})
}
