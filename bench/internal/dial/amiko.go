// Package dial connects the benchmark's client programs: the same
// connection, made with amiko or with x/crypto/ssh, for the exec client
// and the SFTP client of each.
package dial

import (
	"context"
	"sync"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
)

// Amiko connects with the amiko library as a user would: a key file and
// a known_hosts file, nothing from the agent or ~/.ssh. It reads
// known_hosts for each connection, as a new process would, except in a
// fan-out, where the connections share one store, as the connections of
// one program would (amiko.KnownHostsFile is made to be shared).
func Amiko(ctx context.Context, f clientrun.Flags) (*amiko.Client, error) {
	c := amiko.NewClient()
	if f.Fanout > 0 {
		k, err := sharedKnownHosts(f.KnownHosts)
		if err != nil {
			return nil, err
		}
		c.SetHostKeys(k)
	} else if err := c.LoadHostKeys(f.KnownHosts); err != nil {
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

var shared struct {
	once sync.Once
	k    *amiko.KnownHostsFile
	err  error
}

// sharedKnownHosts loads path the first time, for every fan-out
// connection.
func sharedKnownHosts(path string) (*amiko.KnownHostsFile, error) {
	shared.once.Do(func() { shared.k, shared.err = amiko.LoadKnownHosts(path) })
	return shared.k, shared.err
}
