// Package rawio reads and writes non-blocking sockets with raw system
// calls: for the event loop that owns its descriptors (monitor's pinger)
// and for connections that wait in Go's netpoller (Conn). A read or write
// on a non-blocking socket never blocks, so the scheduler need not be
// told (no entersyscall/exitsyscall): cheaper, and the runtime's monitor
// thread does not see a P sitting in a system call and hand it over. Under
// the race detector they go through package syscall instead, whose
// annotations order them with the other side's net.Conn calls as Go's own
// poller does.
package rawio
