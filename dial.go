package amiko

import "context"

// Dial is the common case in one call: a Client that trusts the hosts in
// the user's ~/.ssh/known_hosts (as system host keys; a missing file is
// no error), rejects unknown hosts, and is connected to hostname.
func Dial(ctx context.Context, hostname string, opts *ConnectOptions) (*Client, error) {
	c := NewClient()
	if err := c.LoadSystemHostKeys(""); err != nil {
		return nil, err
	}
	if err := c.Connect(ctx, hostname, opts); err != nil {
		return nil, err
	}
	return c, nil
}
