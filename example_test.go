package amiko_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/amiko-ssh/amiko"
)

// The common case: known hosts from ~/.ssh/known_hosts, keys from the
// agent and ~/.ssh, a deadline on the whole connect.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := amiko.Dial(ctx, "build.example.com", &amiko.ConnectOptions{Username: "deploy"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

// paramiko's pattern: load host keys, choose a policy, connect.
func ExampleClient_Connect() {
	c := amiko.NewClient()
	if err := c.LoadSystemHostKeys(""); err != nil {
		log.Fatal(err)
	}
	c.SetMissingHostKeyPolicy(amiko.AutoAddPolicy{})
	err := c.Connect(context.Background(), "10.0.0.7", &amiko.ConnectOptions{
		Port:         2222,
		Username:     "admin",
		KeyFilenames: []string{"/etc/deploy/id_ed25519"},
		Passphrase:   "from a secret store",
		Timeout:      10 * time.Second,
		Compress:     true,
	})
	var bad *amiko.BadHostKeyError
	var authErr *amiko.AuthenticationError
	switch {
	case errors.As(err, &bad):
		fmt.Println("host key changed for", bad.Host)
	case errors.As(err, &authErr):
		for _, a := range authErr.Attempts {
			fmt.Println("tried", a)
		}
	case err != nil:
		log.Fatal(err)
	}
	defer c.Close()
}
