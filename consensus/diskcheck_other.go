//go:build !linux

package consensus

// limitMemory does nothing off Linux: the check runs uncapped there (its
// time is still bounded by checkTimeout).
func limitMemory(uint64) (restore func()) { return func() {} }
