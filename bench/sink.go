package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// sinkReport is what the sink writes: the bytes it read and the time
// from the first to the last.
type sinkReport struct {
	Bytes int64 `json:"bytes"`
	NS    int64 `json:"ns"`
}

// sinkMain is `bench sink`, the server's end of an upload: what
// `cat > /dev/null` does, and it also notes the bytes and the time from
// the first byte to the last. With -window it stops that long after the
// first byte, which is how slow links are time-boxed.
func sinkMain(args []string) {
	fs := flag.NewFlagSet("sink", flag.ExitOnError)
	out := fs.String("out", "", "where the JSON report goes")
	window := fs.Duration("window", 0, "stop this long after the first byte (0: at EOF)")
	fs.Parse(args)

	var r sinkReport
	var first, last time.Time
	buf := make([]byte, 256<<10)
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			last = time.Now()
			if r.Bytes == 0 {
				first = last
			}
			r.Bytes += int64(n)
			if *window > 0 && last.Sub(first) >= *window {
				break
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sink:", err)
			os.Exit(1)
		}
	}
	r.NS = last.Sub(first).Nanoseconds()
	b, _ := json.Marshal(r)
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
}
