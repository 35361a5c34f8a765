package dial

import (
	"errors"
	"net"
	"os"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
)

// XSSH connects with golang.org/x/crypto/ssh, reading the key and
// known_hosts each time, as a new process would; in a fan-out the
// connections share them, as the connections of one program would.
func XSSH(f clientrun.Flags) (*ssh.Client, error) {
	if f.Compress {
		return nil, errors.New("x/crypto/ssh has no compression")
	}
	addr := net.JoinHostPort(f.Host, strconv.Itoa(f.Port))
	var cfg *ssh.ClientConfig
	var err error
	if f.Fanout > 0 {
		xsshShared.once.Do(func() { xsshShared.cfg, xsshShared.err = xsshConfig(f, addr) })
		cfg, err = xsshShared.cfg, xsshShared.err
	} else {
		cfg, err = xsshConfig(f, addr)
	}
	if err != nil {
		return nil, err
	}
	return ssh.Dial("tcp", addr, cfg)
}

var xsshShared struct {
	once sync.Once
	cfg  *ssh.ClientConfig
	err  error
}

// xsshConfig reads the key and known_hosts for a connection to addr.
func xsshConfig(f clientrun.Flags, addr string) (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(f.Key)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	hostKeys, err := knownhosts.New(f.KnownHosts)
	if err != nil {
		return nil, err
	}
	algs, err := knownTypes(f.KnownHosts, addr)
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{
		User:              f.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   hostKeys,
		HostKeyAlgorithms: algs,
	}, nil
}

// knownTypes returns the types of the keys known_hosts has for addr.
//
// x/crypto asks for the host key algorithms it supports, not those of
// the keys it knows, and dropbear 2022.83 with only an ed25519 host key
// then agrees to rsa-sha2-256 and fails an assertion. Asking only for
// what known_hosts can verify is what OpenSSH does, and what a careful
// x/crypto user does by hand (v0.58's knownhosts has no helper for it).
func knownTypes(path, addr string) ([]string, error) {
	rest, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	want := knownhosts.Normalize(addr)
	var types []string
	for len(rest) > 0 {
		_, hosts, key, _, r, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			break // io.EOF at the end
		}
		rest = r
		for _, h := range hosts {
			if h == want {
				types = append(types, key.Type())
			}
		}
	}
	return types, nil
}
