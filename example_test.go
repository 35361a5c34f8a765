package amiko_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
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

// Run a command the way os/exec does; a non-zero exit is an *ExitError.
func ExampleClient_Command() {
	c, err := amiko.Dial(context.Background(), "build.example.com", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	out, err := c.Command(context.Background(), "uname -a").Output()
	var exit *amiko.ExitError
	switch {
	case errors.As(err, &exit):
		fmt.Printf("exited %d: %s", exit.Status, exit.Stderr)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("%s", out)
}

// paramiko's exec_command: stdin, stdout and stderr as streams.
func ExampleClient_ExecCommand() {
	c, err := amiko.Dial(context.Background(), "db.example.com", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s, err := c.ExecCommand(context.Background(), "psql -q", &amiko.ExecOptions{
		Environment: map[string]string{"PGDATABASE": "app"},
		Timeout:     time.Minute, // per read or write that waits
	})
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		io.WriteString(s.Stdin(), "select 1;\n")
		s.Stdin().Close() // EOF
	}()
	go io.Copy(os.Stderr, s.Stderr())
	io.Copy(os.Stdout, s.Stdout())
	if err := s.Wait(); err != nil {
		log.Fatal(err)
	}
}

// A jump host: the seed's sock, given a connection through another
// client.
func ExampleConnectOptions_sock() {
	ctx := context.Background()
	bastion, err := amiko.Dial(ctx, "bastion.example.com", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer bastion.Close()
	conn, err := bastion.Dial(ctx, "tcp", "10.0.0.7:22")
	if err != nil {
		log.Fatal(err)
	}
	inner, err := amiko.Dial(ctx, "10.0.0.7", &amiko.ConnectOptions{Sock: conn})
	if err != nil {
		log.Fatal(err)
	}
	defer inner.Close() // closes conn too
}

// ssh -R: a port on the server whose connections come here.
func ExampleClient_Listen() {
	c, err := amiko.Dial(context.Background(), "gateway.example.com", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	l, err := c.Listen(context.Background(), "tcp", "localhost:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on the server at", l.Addr())
	http.Serve(l, http.FileServer(http.Dir(".")))
}
