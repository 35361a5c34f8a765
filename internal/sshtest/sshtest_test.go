package sshtest

import (
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestServe checks, on each server, what every test relies on: the
// server comes up, an x/crypto client verifies its host key, logs in with
// UserKey or the password, and runs commands with their streams and exit
// status intact; unauthorized credentials are refused.
func TestServe(t *testing.T) {
	forEachServer(t, func(t *testing.T, st starter) {
		extra := newSigner(t)
		s := st.start(t, Options{AuthorizedKeys: []ssh.PublicKey{extra.PublicKey()}})
		if s.Name != st.name || s.User == "" || s.Password == "" || len(s.HostKeys) != 3 {
			t.Fatalf("server %+v", s)
		}

		t.Run("publickey", func(t *testing.T) {
			out, _, err := run(t, dial(t, s), "echo hello", "")
			if err != nil || out != "hello\n" {
				t.Fatalf("echo hello: %q, %v", out, err)
			}
		})
		t.Run("password", func(t *testing.T) {
			out, _, err := run(t, dial(t, s, ssh.Password(s.Password)), "echo hello", "")
			if err != nil || out != "hello\n" {
				t.Fatalf("echo hello: %q, %v", out, err)
			}
		})
		t.Run("keyboard-interactive", func(t *testing.T) {
			if st.name == "openssh" || st.name == "dropbear" {
				t.Skip("not without PAM; see TestConfig")
			}
			out, _, err := run(t, dial(t, s, answerPassword(s.Password)), "echo hello", "")
			if err != nil || out != "hello\n" {
				t.Fatalf("echo hello: %q, %v", out, err)
			}
		})
		t.Run("extra key", func(t *testing.T) {
			out, _, err := run(t, dial(t, s, ssh.PublicKeys(extra)), "echo hello", "")
			if err != nil || out != "hello\n" {
				t.Fatalf("echo hello: %q, %v", out, err)
			}
		})
		t.Run("refused", func(t *testing.T) {
			for name, auth := range map[string]ssh.AuthMethod{
				"unknown key":    ssh.PublicKeys(newSigner(t)),
				"wrong password": ssh.Password(s.Password + "x"),
			} {
				if c, err := tryDial(s, auth); err == nil {
					c.Close()
					t.Errorf("%s: logged in", name)
				}
			}
		})
		t.Run("streams", func(t *testing.T) {
			c := dial(t, s)
			out, errOut, err := run(t, c, "cat; echo to stderr >&2; exit 3", "from stdin\n")
			var exit *ssh.ExitError
			if !errors.As(err, &exit) || exit.ExitStatus() != 3 {
				t.Errorf("exit: %v, want status 3", err)
			}
			if out != "from stdin\n" || errOut != "to stderr\n" {
				t.Errorf("stdout %q, stderr %q", out, errOut)
			}
		})
		t.Run("host key", func(t *testing.T) {
			// ClientConfig accepts only the server's own keys.
			other := *s
			other.HostKeys = []ssh.PublicKey{newSigner(t).PublicKey()}
			if c, err := tryDial(&other); err == nil {
				c.Close()
				t.Fatal("accepted a host key not in HostKeys")
			}
		})
		t.Run("log", func(t *testing.T) {
			if !strings.Contains(s.Log(), logMarks[s.Name]) {
				t.Errorf("log lacks %q:\n%s", logMarks[s.Name], tail(s.Log(), 4096))
			}
		})
	})
}

// answerPassword answers every keyboard-interactive question with
// password.
func answerPassword(password string) ssh.AuthMethod {
	return ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		answers := make([]string, len(questions))
		for i := range answers {
			answers[i] = password
		}
		return answers, nil
	})
}

// logMarks is text each server's log shows once a client has logged in.
var logMarks = map[string]string{
	"openssh":  "Accepted publickey for amikotest",
	"dropbear": "Pubkey auth succeeded for 'amikotest'",
	"paramiko": "Auth granted (publickey)",
	"asyncssh": "Auth for user amikotest succeeded",
	"xssh":     `"amikotest" logged in`,
}

// TestHostKeyTypes gives each server every kind of host key and checks
// that each is offered and is the key the server then signs with.
func TestHostKeyTypes(t *testing.T) {
	all := []string{"ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa", "dsa"}
	algorithm := map[string]string{
		"ed25519":  ssh.KeyAlgoED25519,
		"ecdsa256": ssh.KeyAlgoECDSA256,
		"ecdsa384": ssh.KeyAlgoECDSA384,
		"ecdsa521": ssh.KeyAlgoECDSA521,
		"rsa":      ssh.KeyAlgoRSASHA256,
		"dsa":      "ssh-dss", // x/crypto marks its constant deprecated
	}
	forEachServer(t, func(t *testing.T, st starter) {
		groups := [][]string{all}
		if st.name == "dropbear" {
			groups = [][]string{all[:2], all[2:]} // it loads at most 4
		}
		for _, types := range groups {
			checkHostKeys(t, st.start(t, Options{HostKeyTypes: types}), types, algorithm)
		}
	})
}

func checkHostKeys(t *testing.T, s *Server, types []string, algorithm map[string]string) {
	t.Helper()
	if len(s.HostKeys) != len(types) {
		t.Fatalf("%d host keys, want %d", len(s.HostKeys), len(types))
	}
	offer, err := s.Offered()
	if err != nil {
		t.Fatal(err)
	}
	for i, typ := range types {
		algo := algorithm[typ]
		if !slices.Contains(offer.HostKeys, algo) {
			t.Errorf("%s not offered; offered %v", algo, offer.HostKeys)
			continue
		}
		cfg := s.ClientConfig()
		cfg.HostKeyAlgorithms = []string{algo}
		var got ssh.PublicKey
		check := cfg.HostKeyCallback
		cfg.HostKeyCallback = func(host string, addr net.Addr, key ssh.PublicKey) error {
			got = key
			return check(host, addr, key)
		}
		c, err := ssh.Dial("tcp", s.Addr, cfg)
		if err != nil {
			t.Errorf("%s: %v", algo, err)
			continue
		}
		c.Close()
		if string(got.Marshal()) != string(s.HostKeys[i].Marshal()) {
			t.Errorf("%s: server signed with %s, want HostKeys[%d]", algo, ssh.FingerprintSHA256(got), i)
		}
	}
}

// TestAllAlgorithms checks that AllAlgorithms makes each server offer
// legacy algorithms it keeps back by default, and that a current client
// still connects.
func TestAllAlgorithms(t *testing.T) {
	// A few algorithms each server implements but does not offer by
	// default (dropbear always offers everything it has).
	legacy := map[string]func(*Offer) []string{
		"openssh": func(o *Offer) []string {
			return missing(o, kex("diffie-hellman-group1-sha1"), cipher("3des-cbc"), mac("hmac-md5"), hostKeyAlg("ssh-rsa"))
		},
		"paramiko": func(o *Offer) []string {
			return missing(o, compression("zlib"), compression("zlib@openssh.com"))
		},
		"asyncssh": func(o *Offer) []string {
			return missing(o, kex("diffie-hellman-group1-sha1"), cipher("arcfour"), cipher("blowfish-cbc"), mac("hmac-md5"), compression("zlib"))
		},
		"xssh": func(o *Offer) []string {
			return missing(o, kex("diffie-hellman-group1-sha1"), kex("diffie-hellman-group-exchange-sha256"), cipher("3des-cbc"), cipher("arcfour"))
		},
	}
	for _, st := range starters {
		check, ok := legacy[st.name]
		if !ok {
			continue
		}
		if st.name == "xssh" {
			st.start = func(t testing.TB, o Options) *Server {
				x := XSSHOptions{}
				if o.AllAlgorithms {
					x.Config = XSSHAllAlgorithms
				}
				return StartXSSH(t, x)
			}
		}
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			def := st.start(t, Options{})
			all := st.start(t, Options{AllAlgorithms: true})
			defOffer, err := def.Offered()
			if err != nil {
				t.Fatal(err)
			}
			allOffer, err := all.Offered()
			if err != nil {
				t.Fatal(err)
			}
			if m := check(defOffer); len(m) == 0 {
				t.Errorf("offers the legacy algorithms by default: %+v", defOffer)
			}
			if m := check(allOffer); len(m) != 0 {
				t.Errorf("with AllAlgorithms, does not offer %v: %+v", m, allOffer)
			}
			if out, _, err := run(t, dial(t, all), "echo hello", ""); err != nil || out != "hello\n" {
				t.Errorf("echo hello: %q, %v", out, err)
			}
		})
	}
}

// wanted is an algorithm expected in one list of an Offer.
type wanted struct {
	list func(*Offer) []string
	name string
}

func kex(n string) wanted { return wanted{func(o *Offer) []string { return o.KeyExchanges }, n} }
func cipher(n string) wanted {
	return wanted{func(o *Offer) []string { return o.CiphersServerClient }, n}
}
func mac(n string) wanted        { return wanted{func(o *Offer) []string { return o.MACsServerClient }, n} }
func hostKeyAlg(n string) wanted { return wanted{func(o *Offer) []string { return o.HostKeys }, n} }
func compression(n string) wanted {
	return wanted{func(o *Offer) []string { return o.CompressionServerClient }, n}
}

// missing returns the names of ws not in o.
func missing(o *Offer, ws ...wanted) []string {
	var m []string
	for _, w := range ws {
		if !slices.Contains(w.list(o), w.name) {
			m = append(m, w.name)
		}
	}
	return m
}
