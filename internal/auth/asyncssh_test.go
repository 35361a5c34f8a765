package auth

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// asyncsshAuthConfig is what testdata/asyncssh_auth_server.py reads.
type asyncsshAuthConfig struct {
	User     string `json:"user"`
	Password string `json:"password"`
	HostKey  string `json:"host_key"`
	Banner   string `json:"banner,omitempty"`
	Expired  bool   `json:"expired,omitempty"`
}

// startAsyncSSHAuth starts testdata/asyncssh_auth_server.py, an asyncssh
// server with password expiry, a three-round keyboard-interactive login
// and a banner. The result is an sshtest.Server for connect; its Log is
// not the script's, which is printed if the test fails.
func startAsyncSSHAuth(t *testing.T, cfg asyncsshAuthConfig) *sshtest.Server {
	t.Helper()
	sshtest.Require(t, "asyncssh")
	script, err := filepath.Abs("testdata/asyncssh_auth_server.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HostKey = filepath.Join(dir, "host_key")
	if err := os.WriteFile(cfg.HostKey, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg.User == "" {
		cfg.User, cfg.Password = "amikotest", "old-password"
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "asyncssh.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()

	cmd := exec.Command("/usr/bin/python3", "-W", "ignore", script, cfgPath)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("asyncssh log:\n%s", tail(string(b), 60))
		}
	})
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	var p string
	select {
	case p = <-port:
	case <-time.After(60 * time.Second):
		t.Fatal("the asyncssh server did not start")
	}
	if _, err := strconv.Atoi(p); err != nil {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("the asyncssh server printed %q, not a port\n%s", p, b)
	}
	hostKey, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return &sshtest.Server{
		Name:     "asyncssh-auth",
		Addr:     "127.0.0.1:" + p,
		HostKeys: []ssh.PublicKey{hostKey},
		User:     cfg.User,
		Password: cfg.Password,
	}
}

// TestAsyncSSHPasswordChange: an expired password gets
// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ; without a callback that is a
// *PasswordChangeError, with one the new password is sent, a refused one
// is asked again, and the accepted one logs in then and later.
func TestAsyncSSHPasswordChange(t *testing.T) {
	t.Parallel()
	s := startAsyncSSHAuth(t, asyncsshAuthConfig{Expired: true})

	// No callback.
	err := Password(connect(t, s, nil), s.User, s.Password, nil)
	var pce *PasswordChangeError
	if !errors.As(err, &pce) || pce.Prompt != "Your password has expired. Choose a new one." {
		t.Fatalf("got %v (%T), want a *PasswordChangeError", err, err)
	}
	t.Log(err)

	// A callback that gives up.
	giveUp := errors.New("no new password today")
	err = Password(connect(t, s, nil), s.User, s.Password, func(string) (string, error) { return "", giveUp })
	if !errors.Is(err, giveUp) {
		t.Fatalf("got %v, want the callback's error", err)
	}

	// The wrong old password is a plain failure: no change is asked.
	fe := asFailure(t, Password(connect(t, s, nil), s.User, "not the password", func(string) (string, error) {
		t.Fatal("change asked for a wrong password")
		return "", nil
	}))
	if fe.PartialSuccess || !fe.Allows("password") {
		t.Fatalf("%+v", fe)
	}

	// A new password the server refuses, then one it takes.
	var prompts []string
	c := connect(t, s, nil)
	err = Password(c, s.User, s.Password, func(prompt string) (string, error) {
		prompts = append(prompts, prompt)
		if len(prompts) == 1 {
			return "short", nil
		}
		return "a-long-new-password", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	loggedIn(t, c)
	want := []string{"Your password has expired. Choose a new one.", "Too short: at least 8 characters."}
	if !slices.Equal(prompts, want) {
		t.Fatalf("prompts %q, want %q", prompts, want)
	}

	// The new password works, the old one no longer.
	asFailure(t, Password(connect(t, s, nil), s.User, s.Password, nil))
	c = connect(t, s, nil)
	if err := Password(c, s.User, "a-long-new-password", nil); err != nil {
		t.Fatal(err)
	}
	loggedIn(t, c)
}

// TestAsyncSSHKeyboardInteractive: three rounds (the password; an
// instruction without prompts; two prompts, one echoed) and a banner.
func TestAsyncSSHKeyboardInteractive(t *testing.T) {
	t.Parallel()
	const banner = "asyncssh banner: welcome\n"
	s := startAsyncSSHAuth(t, asyncsshAuthConfig{Banner: banner})
	c := connect(t, s, nil)
	var banners, rounds []string
	a := &Authenticator{Transport: c, User: s.User, Banner: func(m string) { banners = append(banners, m) }}
	err := a.KeyboardInteractive(func(name, instruction string, prompts []Prompt) ([]string, error) {
		rounds = append(rounds, fmt.Sprintf("%q %q %v", name, instruction, prompts))
		switch len(rounds) {
		case 1:
			return []string{s.Password}, nil
		case 2:
			return nil, nil
		}
		return []string{"123456", "0000"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	loggedIn(t, c)
	want := []string{
		`"Login" "Answer the questions." [{Password:  false}]`,
		`"" "Password accepted. Nothing to type here." []`,
		`"Second factor" "" [{Code:  true} {PIN:  false}]`,
	}
	if !slices.Equal(rounds, want) {
		t.Fatalf("rounds\n%q\nwant\n%q", rounds, want)
	}
	if !slices.Equal(banners, []string{banner}) {
		t.Fatalf("banners %q", banners)
	}

	// PasswordAnswerer answers the first two rounds as paramiko would,
	// and gives up at the third, which asks two questions.
	err = KeyboardInteractive(connect(t, s, nil), s.User, PasswordAnswerer(s.Password))
	if !errors.Is(err, ErrNotPasswordPrompt) {
		t.Fatalf("got %v, want ErrNotPasswordPrompt", err)
	}
	t.Log(err)
}
