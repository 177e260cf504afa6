//go:build !linux

package httpapi

// writeProcess has nothing to add off Linux: the process_* metrics are
// read from /proc.
func writeProcess(*exposition) {}
