package main

import (
	"fmt"
	"os"
)

// runDemo is filled in by the demo issue.
func runDemo(args []string) int {
	fmt.Fprintln(os.Stderr, "raftinel: demo is not built yet")
	return 1
}
