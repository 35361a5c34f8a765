package connection_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/amiko-ssh/amiko/internal/connection"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// Running a command on a session channel over an authenticated
// transport (for example a *transport.Conn after auth.PublicKey).
func Example() {
	var t connection.Transport // an authenticated transport
	if t == nil {
		return
	}
	c := connection.New(t)
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := c.OpenChannel(ctx, "session", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if ok, err := ch.SendRequest("exec", true, wire.AppendText(nil, "uname -a")); !ok || err != nil {
		fmt.Println("exec refused", err)
		return
	}
	ch.CloseWrite()
	go io.Copy(os.Stderr, ch.Stderr())
	io.Copy(os.Stdout, ch)
	<-ch.Done()
	if status, ok := ch.ExitStatus(); ok {
		fmt.Println("exit status", status)
	}
}
