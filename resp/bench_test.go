package resp

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkUnpipelined: 50 clients, each sending one PING and waiting for
// its reply, like redis-benchmark -c 50 without -P. ns/op is the wall time
// per request of the whole process (clients included) with the CPUs
// saturated; allocs/op counts the server's and the clients' per request.
func BenchmarkUnpipelined(b *testing.B) {
	e := newEnv(b)
	const clients = 50
	conns := make([]net.Conn, clients)
	for i := range conns {
		nc, err := net.Dial("tcp", e.addr)
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		conns[i] = nc
	}
	req := []byte("*1\r\n$4\r\nPING\r\n")
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for _, nc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd := bufio.NewReader(nc)
			for left.Add(-1) >= 0 {
				if _, err := nc.Write(req); err != nil {
					b.Error(err)
					return
				}
				if _, err := rd.ReadSlice('\n'); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
