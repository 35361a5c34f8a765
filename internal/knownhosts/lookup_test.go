package knownhosts

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sshKeygenFind returns the numbers of the lines of file that
// ssh-keygen -l -F name reports as matching. -l makes ssh-keygen parse
// the keys, so that lines with a key it cannot read do not match, as in
// ssh's own lookups (without it, -F matches on the host field alone).
func sshKeygenFind(t *testing.T, file, name string) []int {
	t.Helper()
	cmd := exec.Command("ssh-keygen", "-l", "-F", name, "-f", file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1 && stdout.Len() == 0) {
		t.Fatalf("ssh-keygen -l -F %s -f %s: %v\n%s", name, file, err, stderr.String())
	}
	found := regexp.MustCompile(`(?m)^# Host .* found: line (\d+)`)
	var lines []int
	for _, m := range found.FindAllStringSubmatch(stdout.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		lines = append(lines, n)
	}
	return lines
}

func lookupLines(f *File, name string) []int {
	var lines []int
	for _, m := range f.Lookup(name).Matches {
		lines = append(lines, m.Line)
	}
	return lines
}

// TestLookupAgreesWithSSHKeygen builds known_hosts files with the corners
// of OpenSSH's format, hashes one with ssh-keygen -H, and checks that
// Lookup finds exactly the lines ssh-keygen -F finds, name by name.
func TestLookupAgreesWithSSHKeygen(t *testing.T) {
	dir := t.TempDir()
	ed := newKey(t, "ed25519")
	ec := newKey(t, "ecdsa")
	rsa := newKey(t, "rsa")
	edBlob := strings.Fields(ed.line)[1]
	rsaBlob := strings.Fields(rsa.line)[1]

	plain := strings.Join([]string{
		"# a comment naming a.example " + ed.line,
		"",
		"a.example " + ed.line,
		"b.example,c.example " + ec.line + " comment",
		"*.wild.example,!no.wild.example " + rsa.line,
		"!no2.wild.example,*.wild.example " + ed.line,
		"host? " + ec.line,
		"[a.example]:2222 " + ec.line,
		"[*.wild.example]:* " + ed.line,
		"A.UPPER.EXAMPLE " + ed.line,
		"10.0.0.1,10.0.0.* " + ec.line,
		"::1,[::1]:2222 " + ed.line,
		"@cert-authority *.example " + ed.line,
		"@cert-authority\tca-tab.example " + ed.line,
		"@revoked * " + rsa.line,
		"@revoked\tonly-tabs.example\tssh-ed25519\t" + edBlob,
		"@bogus a.example " + ed.line,
		"@revoked @revoked a.example " + ed.line,
		"a.example ssh-ed25519 AAAAbroken",
		"a.example nonsense " + edBlob,
		"a.example ssh-rsa " + edBlob,
		"rsa256.example rsa-sha2-256 " + rsaBlob,
		"rsa512.example rsa-sha2-512 " + rsaBlob,
		"|1|bad|hash " + ed.line,
		"|1|Jw49itl/aJTyE5vQF9PUt1xTsmc=|bLIyK9vf1t8/eWRD0/tz0awxRhw= " + ed.line, // "a.example"
		"|1|Jw49itl/aJTyE5vQF9PUt1xTsmc=|bLIyK9vf1t8/eWRD0/tz0awxRhw=,b.example " + ed.line,
		"crlf.example " + ed.line + "\r",
		"crlf2.example " + ed.line + " comment\r",
		"   \tindented.example\t " + ec.line,
		"empty..example,,a..example " + ed.line,
		"a.example",
		"a.example #" + ed.line,
		"nul.example\x00 " + ed.line,
		"nul2.example\x00\x00 " + ed.line,
		"nul3.example " + ed.line[:30] + "\x00" + ed.line[30:],
		"nul4.example " + ed.line + " comment\x00tail",
		"x" + strings.Repeat("y", 1100) + ",a.example " + ed.line,
		"last.example " + ed.line, // no newline after it
	}, "\n")
	plainPath := writeFile(t, dir, "plain", plain)

	// A file of plain names that ssh-keygen -H hashes (it leaves lines
	// with patterns and markers as they are).
	toHash := strings.Join([]string{
		"a.example,b.example " + ed.line,
		"[a.example]:2222 " + ec.line,
		"10.0.0.1 " + rsa.line,
		"*.wild.example " + ed.line,
		"@cert-authority *.example " + ec.line,
		"@revoked c.example " + ed.line,
		"",
	}, "\n")
	hashedPath := writeFile(t, dir, "hashed", toHash)
	keygen(t, "-H", "-f", hashedPath)
	hashed, err := os.ReadFile(hashedPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(hashed, []byte("|1|")) {
		t.Fatalf("ssh-keygen -H hashed nothing:\n%s", hashed)
	}

	names := []string{
		"a.example", "b.example", "c.example", "d.example",
		"x.wild.example", "no.wild.example", "no2.wild.example", "deep.x.wild.example",
		"host1", "host12", "host",
		"[a.example]:2222", "[a.example]:2223", "[b.example]:2222", "[x.wild.example]:22", "[x.wild.example]:8022",
		"a.upper.example", "10.0.0.1", "10.0.0.2", "10.0.1.1", "::1", "[::1]:2222",
		"ca-tab.example", "only-tabs.example", "rsa256.example", "rsa512.example",
		"crlf.example", "crlf2.example", "indented.example", "empty..example", "a..example", "",
		"nul.example", "nul2.example", "nul3.example", "nul4.example", "last.example", "other",
	}
	for _, path := range []string{plainPath, hashedPath} {
		f := mustLoad(t, path)
		for _, name := range names {
			if name == "" {
				continue // ssh-keygen -F "" is an error
			}
			want := sshKeygenFind(t, path, name)
			got := lookupLines(f, name)
			if !slices.Equal(got, want) {
				t.Errorf("%s: Lookup(%q) matches lines %v, ssh-keygen -F matches %v", filepath.Base(path), name, got, want)
			}
		}
	}
	if testing.Verbose() {
		for _, name := range []string{"a.example", "x.wild.example", "[a.example]:2222"} {
			t.Logf("%s: %v", name, lookupLines(mustLoad(t, plainPath), name))
		}
	}
}
