package knownhosts

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// awkward is a known_hosts file with everything Save must keep as it is.
var awkward = strings.Join([]string{
	"# comment",
	"",
	"   ",
	"\t# indented comment",
	"crlf.example " + edKey + " comment\r",
	"@cert-authority *.example " + ecKey,
	"@revoked * " + ecKey,
	"|1|Jw49itl/aJTyE5vQF9PUt1xTsmc=|bLIyK9vf1t8/eWRD0/tz0awxRhw= " + edKey,
	"bad line that is no entry",
	"\x00\xff\xfe binary",
	"@bogus marker " + edKey,
	"last.example " + edKey, // no newline at the end
}, "\n")

func TestSaveKeepsEveryByte(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "known_hosts", awkward)
	f := mustLoad(t, path)
	ed := newKey(t, "ed25519")
	ec := newKey(t, "ecdsa")
	if err := f.Add("plain.example", ed.pub, false); err != nil {
		t.Fatal(err)
	}
	if err := f.Add(HostPort("Hashed.Example", 2222), ec.pub, true); err != nil {
		t.Fatal(err)
	}
	if err := f.Add("plain.example", ed.pub, true); err != nil { // already there: no-op
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte(awkward+"\n")) {
		t.Fatalf("the old lines changed:\n%q", got)
	}
	added := strings.Split(strings.TrimSuffix(string(got[len(awkward)+1:]), "\n"), "\n")
	if len(added) != 2 || added[0] != "plain.example "+ed.line || !strings.HasPrefix(added[1], "|1|") ||
		!strings.HasSuffix(added[1], " "+ec.line) {
		t.Fatalf("added lines: %q", added)
	}
	if !bytes.Equal(got, f.Bytes()) {
		t.Error("the File differs from what it saved")
	}

	// OpenSSH finds both, the hashed one under the lowercased name (the
	// other lines it finds are awkward's @revoked * and @cert-authority).
	lines := strings.Count(awkward, "\n") + 1
	if got := sshKeygenFind(t, path, "plain.example"); !slices.Contains(got, lines+1) {
		t.Errorf("ssh-keygen -F plain.example: lines %v, want %d among them", got, lines+1)
	}
	if got := sshKeygenFind(t, path, "[hashed.example]:2222"); !slices.Contains(got, lines+2) {
		t.Errorf("ssh-keygen -F [hashed.example]:2222: lines %v, want %d among them", got, lines+2)
	}
	// And so does a fresh Load.
	g := mustLoad(t, path)
	if err := Check("[hashed.example]:2222", ec.pub, g); err != nil {
		t.Error(err)
	}
	if err := Check("plain.example", ed.pub, g); err != nil {
		t.Error(err)
	}
}

func TestSaveWithoutAdditionsWritesNothing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "sub", "known_hosts")
	f := mustLoad(t, missing)
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save without additions made %s: %v", filepath.Dir(missing), err)
	}
	if err := mustParse(t, "").Save(); err != nil {
		t.Errorf("Save of parsed data without additions: %v", err)
	}
	g := mustParse(t, "")
	if err := g.Add("h", parseAuthorized(t, edKey), false); err != nil {
		t.Fatal(err)
	}
	if err := g.Save(); err == nil {
		t.Error("Save of parsed data with additions succeeded")
	}
}

func TestSaveCreatesFileAndDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "home", ".ssh", "known_hosts")
	f := mustLoad(t, path)
	if err := f.Add("h.example", parseAuthorized(t, edKey), false); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, 0o600)
	assertMode(t, filepath.Dir(path), fs.ModeDir|0o700)
	assertContent(t, path, "h.example "+edKey+"\n")
}

func TestSaveKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "known_hosts", "a.example "+edKey+"\n")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f := mustLoad(t, path)
	if err := f.Add("b.example", parseAuthorized(t, edKey), false); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, 0o644)
	assertContent(t, path, "a.example "+edKey+"\nb.example "+edKey+"\n")
}

func TestSaveFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := writeFile(t, dir, "real_known_hosts", "a.example "+edKey+"\n")
	if err := os.Chmod(real, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "known_hosts")
	if err := os.Symlink("real_known_hosts", link); err != nil { // relative
		t.Fatal(err)
	}
	link2 := filepath.Join(dir, "link2")
	if err := os.Symlink(link, link2); err != nil { // a chain
		t.Fatal(err)
	}
	f := mustLoad(t, link2)
	if err := f.Add("b.example", parseAuthorized(t, edKey), false); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{link, link2} {
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink: %v", l, err)
		}
	}
	assertContent(t, real, "a.example "+edKey+"\nb.example "+edKey+"\n")
	assertMode(t, real, 0o640)

	// A link to a file not made yet, in a directory not made yet.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "elsewhere", "known_hosts"), dangling); err != nil {
		t.Fatal(err)
	}
	g := mustLoad(t, dangling)
	if err := g.Add("c.example", parseAuthorized(t, edKey), false); err != nil {
		t.Fatal(err)
	}
	if err := g.Save(); err != nil {
		t.Fatal(err)
	}
	assertContent(t, filepath.Join(dir, "elsewhere", "known_hosts"), "c.example "+edKey+"\n")
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("%s is no longer a symlink: %v", dangling, err)
	}
}

func TestSaveMergesOtherWriters(t *testing.T) {
	dir := t.TempDir()
	ed := newKey(t, "ed25519")
	ec := newKey(t, "ecdsa")
	path := writeFile(t, dir, "known_hosts", "keep.example "+ed.line+"\nremove.example "+ed.line+"\n")
	mine := mustLoad(t, path)
	if err := mine.Add("mine.example", ec.pub, false); err != nil {
		t.Fatal(err)
	}
	if err := mine.Add("both.example", ec.pub, false); err != nil {
		t.Fatal(err)
	}

	// Meanwhile another amiko appends, and the user runs ssh-keygen -R.
	theirs := mustLoad(t, path)
	if err := theirs.Add("theirs.example", ed.pub, false); err != nil {
		t.Fatal(err)
	}
	if err := theirs.Add("both.example", ec.pub, true); err != nil {
		t.Fatal(err)
	}
	if err := theirs.Save(); err != nil {
		t.Fatal(err)
	}
	keygen(t, "-R", "remove.example", "-f", path)

	if err := mine.Save(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "keep.example "+ed.line || lines[1] != "theirs.example "+ed.line ||
		!strings.HasPrefix(lines[2], "|1|") || lines[3] != "mine.example "+ec.line {
		t.Fatalf("merged file:\n%s", got)
	}
	// mine now knows what theirs added, and forgot what ssh-keygen removed.
	if err := Check("theirs.example", ed.pub, mine); err != nil {
		t.Error(err)
	}
	var unknown *UnknownHostError
	if err := Check("remove.example", ed.pub, mine); !errors.As(err, &unknown) {
		t.Errorf("remove.example after ssh-keygen -R: %v", err)
	}
}

// TestSaveConcurrentProcesses runs processes that each add hosts and save
// after every addition, all at once, and checks that no addition is lost
// and no line is broken.
func TestSaveConcurrentProcesses(t *testing.T) {
	const procs, hosts = 6, 15
	path := writeFile(t, t.TempDir(), "known_hosts", awkward)
	var cmds []*os.Process
	var waits []func() error
	for p := range procs {
		cmd, _ := startChild(t, "add", path, fmt.Sprintf("p%d.example %d", p, hosts))
		cmds = append(cmds, cmd.Process)
		waits = append(waits, cmd.Wait)
	}
	for i, wait := range waits {
		if err := wait(); err != nil {
			t.Errorf("process %d (pid %d): %v", i, cmds[i].Pid, err)
		}
	}
	assertAllAdded(t, path, procs, hosts)
}

// TestSaveConcurrentFiles does the same with goroutines, each with its own
// File of the path, plus goroutines sharing one File.
func TestSaveConcurrentFiles(t *testing.T) {
	const workers, hosts = 8, 10
	path := writeFile(t, t.TempDir(), "known_hosts", awkward)
	key := parseAuthorized(t, edKey)
	shared := mustLoad(t, path)
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*hosts)
	for w := range workers {
		wg.Go(func() {
			for i := range hosts {
				f, err := Load(path)
				if err != nil {
					errs <- err
					return
				}
				if err := f.Add(fmt.Sprintf("p%d.example-%d", w, i), key, i%2 == 0); err != nil {
					errs <- err
				}
				if err := f.Save(); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			for i := range hosts {
				host := fmt.Sprintf("s%d.example-%d", w, i)
				if err := shared.Add(host, key, i%2 == 1); err != nil {
					errs <- err
				}
				if err := Check(host, key, shared); err != nil {
					errs <- err
				}
				_ = KnownKeyTypes(host, shared)
				if i%3 == 0 {
					if err := shared.Save(); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	if err := shared.Save(); err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assertAllAdded(t, path, workers, hosts)
	f := mustLoad(t, path)
	for w := range workers {
		for i := range hosts {
			if err := Check(fmt.Sprintf("s%d.example-%d", w, i), key, f); err != nil {
				t.Error(err)
			}
		}
	}
}

// assertAllAdded checks that path holds awkward unchanged, then exactly
// one usable line for each host p<proc>.example-<i>, and nothing else.
func assertAllAdded(t *testing.T, path string, procs, hosts int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte(awkward+"\n")) {
		t.Fatalf("the original lines changed")
	}
	f := mustParse(t, string(data[len(awkward)+1:]))
	key := parseAuthorized(t, edKey)
	for _, l := range f.lines {
		if l.entry == nil {
			t.Errorf("broken line %q", l.raw)
		}
	}
	for p := range procs {
		for i := range hosts {
			host := fmt.Sprintf("p%d.example-%d", p, i)
			if r := f.Lookup(host); len(r.Keys) != 1 {
				t.Errorf("%s: %d lines", host, len(r.Keys))
			} else if err := Check(host, key, f); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestSaveWriteFails makes writing the new file fail halfway: the file
// is untouched, no temporary file is left, and a later Save succeeds.
func TestSaveWriteFails(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "known_hosts", awkward)
	f := mustLoad(t, path)
	if err := f.Add("new.example", parseAuthorized(t, edKey), false); err != nil {
		t.Fatal(err)
	}
	saved := writeData
	t.Cleanup(func() { writeData = saved })
	writeData = func(tmp *os.File, data []byte) error {
		if _, err := tmp.Write(data[:len(data)/2]); err != nil {
			return err
		}
		return syscall.ENOSPC
	}
	if err := f.Save(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Save = %v, want ENOSPC", err)
	}
	assertContent(t, path, awkward)
	assertOnlyFile(t, dir, "known_hosts")

	writeData = saved
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	assertContent(t, path, awkward+"\nnew.example "+edKey+"\n")
}

// TestSaveKilled kills a process halfway through writing the new file:
// the file keeps its old content.
func TestSaveKilled(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "known_hosts", awkward)
	cmd, out := startChild(t, "hang", path, "")
	line, err := out.ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q: %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	assertContent(t, path, awkward)
	// It was killed halfway through: its half-written temporary file is
	// still there (a kill leaves it; only the rename would have used it).
	temps, _ := filepath.Glob(filepath.Join(dir, ".known_hosts.tmp*"))
	if len(temps) != 1 {
		t.Errorf("temporary files: %v", temps)
	} else if fi, err := os.Stat(temps[0]); err != nil || fi.Size() == 0 || fi.Size() >= int64(len(awkward)) {
		t.Errorf("temporary file %s: %v, %v", temps[0], fi.Size(), err)
	}

	// The killed process held the lock; it died with it.
	f := mustLoad(t, path)
	if err := f.Add("after.example", parseAuthorized(t, edKey), false); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	assertContent(t, path, awkward+"\nafter.example "+edKey+"\n")
}

func TestSaveRefusesReadOnlyFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write any file")
	}
	path := writeFile(t, t.TempDir(), "known_hosts", awkward)
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	f := mustLoad(t, path)
	if err := f.Add("new.example", parseAuthorized(t, edKey), false); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err == nil {
		t.Error("Save replaced a read-only file")
	}
	assertContent(t, path, awkward)
}

func TestAddRejects(t *testing.T) {
	f := mustParse(t, "")
	key := parseAuthorized(t, edKey)
	for _, host := range []string{"", "a b", "a,b", "*.example", "h?", "!h", "#h", "@h", "|1|x", "a\tb", "a\nb", "a\x00b"} {
		if err := f.Add(host, key, false); err == nil {
			t.Errorf("Add(%q) accepted", host)
		}
	}
	if err := f.Add("h", nil, false); err == nil {
		t.Error("Add of a nil key accepted")
	}
	if len(f.Bytes()) != 0 {
		t.Errorf("rejected additions left %q", f.Bytes())
	}
}

func assertContent(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s:\n got %q\nwant %q", path, got, want)
	}
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}

func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %v, want only %s", dir, names, name)
	}
}

// TestAddDuringSave adds and looks up while a Save is writing: neither
// waits for it, and what was added meanwhile is saved by the next Save.
func TestAddDuringSave(t *testing.T) {
	path := writeFile(t, t.TempDir(), "known_hosts", awkward)
	f := mustLoad(t, path)
	key := parseAuthorized(t, edKey)
	if err := f.Add("first.example", key, false); err != nil {
		t.Fatal(err)
	}
	writing, proceed := make(chan struct{}), make(chan struct{})
	saved := writeData
	t.Cleanup(func() { writeData = saved })
	writeData = func(tmp *os.File, data []byte) error {
		close(writing)
		<-proceed
		return saved(tmp, data)
	}
	done := make(chan error)
	go func() { done <- f.Save() }()
	<-writing
	if err := f.Add("second.example", key, false); err != nil {
		t.Fatal(err)
	}
	if err := Check("second.example", key, f); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	writeData = saved
	assertContent(t, path, awkward+"\nfirst.example "+edKey+"\n")
	if err := Check("second.example", key, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	assertContent(t, path, awkward+"\nfirst.example "+edKey+"\nsecond.example "+edKey+"\n")
}
