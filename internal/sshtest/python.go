package sshtest

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

//go:embed paramiko_server.py
var paramikoScript []byte

//go:embed asyncssh_server.py
var asyncsshScript []byte

// StartParamiko starts a paramiko server for t. It runs commands as the
// user running the test. See Options for how o.Config and AllAlgorithms
// are read.
func StartParamiko(t testing.TB, o Options) *Server {
	t.Helper()
	Require(t, "paramiko")
	return startPython(t, "paramiko", paramikoScript, o)
}

// StartAsyncSSH starts an asyncssh server for t. It runs commands as the
// user running the test. See Options for how o.Config and AllAlgorithms
// are read.
func StartAsyncSSH(t testing.TB, o Options) *Server {
	t.Helper()
	Require(t, "asyncssh")
	return startPython(t, "asyncssh", asyncsshScript, o)
}

// pythonConfig is what the scripts read from their JSON argument.
type pythonConfig struct {
	User           string          `json:"user"`
	Password       string          `json:"password"`
	HostKeys       []pythonHostKey `json:"host_keys"`
	AuthorizedKeys string          `json:"authorized_keys"`
	AllAlgorithms  bool            `json:"all_algorithms"`
	Options        []string        `json:"options"`
}

type pythonHostKey struct {
	Type string `json:"type"`
	Path string `json:"path"`
}

// startupTimeout bounds how long a script may take to report its port;
// importing asyncssh alone takes a second on a loaded machine.
const startupTimeout = 60 * time.Second

func startPython(t testing.TB, name string, script []byte, o Options) *Server {
	t.Helper()
	types, err := hostKeyTypes(o.HostKeyTypes)
	if err != nil {
		t.Fatal(err)
	}
	requireKeygen(t, types)
	s := newServer(t, name)
	keys, err := writeHostKeys(s.Dir, types)
	if err != nil {
		t.Fatal(err)
	}
	s.HostKeys = publicKeys(keys)

	cfg := pythonConfig{
		User:           s.User,
		Password:       s.Password,
		AuthorizedKeys: filepath.Join(s.Dir, "authorized_keys"),
		AllAlgorithms:  o.AllAlgorithms,
		Options:        append([]string{}, o.Config...),
	}
	for _, k := range keys {
		cfg.HostKeys = append(cfg.HostKeys, pythonHostKey{Type: k.typ, Path: k.path})
	}
	cfgJSON, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	scriptPath := filepath.Join(s.Dir, name+"_server.py")
	cfgPath := filepath.Join(s.Dir, name+"_server.json")
	for path, b := range map[string][]byte{
		scriptPath:         script,
		cfgPath:            cfgJSON,
		cfg.AuthorizedKeys: s.authorizedKeys(o.AuthorizedKeys),
	} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatalf("sshtest: %v", err)
		}
	}

	logf, err := s.openLog()
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	defer logf.Close() // the child has its own copy
	portR, portW, err := os.Pipe()
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	defer portR.Close()

	cmd := exec.Command(python, "-W", "ignore", scriptPath, cfgPath)
	cmd.Env = append(os.Environ(),
		"PYTHONWARNINGS=ignore",     // for any subprocess python, too
		"PYTHONDONTWRITEBYTECODE=1", // nothing beside the script
		"PYTHONUNBUFFERED=1",        // log lines as they happen
	)
	cmd.Env = append(cmd.Env, o.Env...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = portW, logf
	cmd.SysProcAttr = serverProcAttr()
	p := newProcs()
	_, err = p.start(cmd)
	portW.Close()
	if err != nil {
		t.Fatalf("sshtest: starting %s server: %v", name, err)
	}
	t.Cleanup(p.stop)

	port, err := readPort(portR, startupTimeout)
	if err != nil {
		p.stop() // so the log is complete
		t.Fatalf("sshtest: %s server did not start: %v\n%s", name, err, tail(s.Log(), 16<<10))
	}
	s.Addr = "127.0.0.1:" + strconv.Itoa(port)
	return s
}

// readPort reads the port number a script prints on its first line.
func readPort(r *os.File, timeout time.Duration) (int, error) {
	if err := r.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("reading its port: %w", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || port <= 0 || port > 65535 {
		return 0, fmt.Errorf("it printed %q, not a port", line)
	}
	return port, nil
}
