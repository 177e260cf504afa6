package main

import (
	"os"

	"github.com/raftinel/raftinel/demo"
)

// runDemo is `raftinel demo`: see package demo.
func runDemo(args []string) int { return demo.Main(args, os.Stdin, os.Stdout, os.Stderr) }
