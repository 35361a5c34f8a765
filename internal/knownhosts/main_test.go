package knownhosts

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// childEnv makes the test binary a helper process (see runChild) instead
// of running tests.
const childEnv = "KNOWNHOSTS_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		if err := runChild(mode, os.Getenv("KNOWNHOSTS_TEST_PATH"), os.Getenv("KNOWNHOSTS_TEST_ARG")); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	removeKeyPool()
	os.Exit(code)
}

// runChild is the helper process:
//
//   - "add": adds the hosts prefix-0 ... prefix-(n-1) (arg "prefix n") to
//     the file at path with edKey, saving after each, each time from a
//     freshly loaded File half of the time, to interleave with other
//     processes doing the same;
//   - "hang": adds a host and saves, but stops halfway through writing
//     the new file, says "ready" on stdout and waits to be killed.
func runChild(mode, path, arg string) error {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(edKey))
	if err != nil {
		return err
	}
	switch mode {
	case "add":
		prefix, count, _ := strings.Cut(arg, " ")
		n, err := strconv.Atoi(count)
		if err != nil {
			return err
		}
		f, err := Load(path)
		if err != nil {
			return err
		}
		for i := range n {
			if i%2 == 1 {
				if f, err = Load(path); err != nil {
					return err
				}
			}
			if err := f.Add(fmt.Sprintf("%s-%d", prefix, i), key, i%3 == 0); err != nil {
				return err
			}
			if err := f.Save(); err != nil {
				return err
			}
		}
		return nil
	case "hang":
		f, err := Load(path)
		if err != nil {
			return err
		}
		if err := f.Add("hang.example", key, false); err != nil {
			return err
		}
		writeData = func(tmp *os.File, data []byte) error {
			if _, err := tmp.Write(data[:len(data)/2]); err != nil {
				return err
			}
			if err := tmp.Sync(); err != nil {
				return err
			}
			fmt.Println("ready")
			time.Sleep(time.Hour)
			return errors.New("not killed")
		}
		return f.Save()
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// startChild starts the test binary as a helper process.
func startChild(t *testing.T, mode, path, arg string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "KNOWNHOSTS_TEST_PATH="+path, "KNOWNHOSTS_TEST_ARG="+arg)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewReader(out)
}
