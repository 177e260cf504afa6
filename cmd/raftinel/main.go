// Command raftinel is a drop-in replacement for redis-sentinel, started the
// same way: `raftinel /path/to/sentinel.conf [--directive value ...]`.
// This file is wiring only; the command is cmd/internal/server. The demo
// is cmd/raftinel-demo, kept out of this binary (internal/layout checks).
package main

import (
	"os"

	"github.com/raftinel/raftinel/cmd/internal/server"
)

func main() { os.Exit(server.Main(os.Args[1:], os.Stdout, os.Stderr)) }
