// Package dial connects the benchmark's client programs: the same
// connection, made with amiko or with x/crypto/ssh, for the exec client
// and the SFTP client of each.
package dial

import (
	"context"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
)

// Amiko connects with the amiko library as a user would: a key file and
// a known_hosts file, nothing from the agent or ~/.ssh.
func Amiko(ctx context.Context, f clientrun.Flags) (*amiko.Client, error) {
	c := amiko.NewClient()
	if err := c.LoadHostKeys(f.KnownHosts); err != nil {
		return nil, err
	}
	err := c.Connect(ctx, f.Host, &amiko.ConnectOptions{
		Port:                f.Port,
		Username:            f.User,
		KeyFilenames:        []string{f.Key},
		DisableAgent:        true,
		DisableKeyDiscovery: true,
		Compress:            f.Compress,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
