package main

import (
	"context"
	"fmt"

	"github.com/amiko-ssh/amiko/internal/demo"
)

// demo runs `amiko demo`: the library's connect walked end to end against
// an SSH server started in this process, each step printed. It exits 0
// when every step passed and 1 otherwise.
func (r *runner) demo(ctx context.Context, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(r.stderr, "usage: amiko demo")
		return 2
	}
	if err := demo.Run(ctx, r.stdout); err != nil {
		fmt.Fprintln(r.stderr, "amiko demo: "+printable(err.Error()))
		return 1
	}
	return 0
}
