package knownhosts_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/amiko-ssh/amiko/internal/knownhosts"
	"golang.org/x/crypto/ssh"
)

// A client checks the key a server presented against the system file and
// the user's, and, with an auto-add policy, records an unknown host in
// the user's file.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	system, _ := knownhosts.Load(filepath.Join(dir, "ssh_known_hosts")) // missing: empty
	user, _ := knownhosts.Load(filepath.Join(dir, ".ssh", "known_hosts"))

	key, _, _, _, _ := ssh.ParseAuthorizedKey([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE982bUeJrdGBXHUfVm4EdjQgHTbMicyXdgPlcnjxa5h"))
	host := knownhosts.HostPort("Server.Example", 2222)

	err := knownhosts.Check(host, key, system, user)
	var unknown *knownhosts.UnknownHostError
	if errors.As(err, &unknown) {
		fmt.Println("unknown host", unknown.Host)
		if err := user.Add(host, key, true); err != nil {
			fmt.Println(err)
		}
		if err := user.Save(); err != nil {
			fmt.Println(err)
		}
	}

	user, _ = knownhosts.Load(filepath.Join(dir, ".ssh", "known_hosts"))
	fmt.Println(knownhosts.Check(host, key, system, user))
	fmt.Println(knownhosts.KnownKeyTypes(host, system, user))
	// Output:
	// unknown host [server.example]:2222
	// <nil>
	// [ssh-ed25519]
}
