// Command raftinel-demo is the demo: a local cluster over real
// redis-server processes where a user kills the master and watches the
// failover (package demo).
//
//	go run ./cmd/raftinel-demo [--auto | --script steps] [flags]
//
// The three raftinel nodes it starts are this same binary run again with a
// config path, which runs the server (cmd/internal/server) exactly as
// cmd/raftinel does: the demo needs no other binary, and the server binary
// does not link the demo. This file is wiring only.
package main

import (
	"os"

	"github.com/raftinel/raftinel/cmd/internal/server"
	"github.com/raftinel/raftinel/demo"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if demo.IsNodeArgs(args) {
		return server.Main(args, os.Stdout, os.Stderr)
	}
	return demo.Main(args, os.Stdin, os.Stdout, os.Stderr)
}
