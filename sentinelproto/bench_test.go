package sentinelproto

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
)

// BenchmarkGetMasterAddr measures the request path (read, parse, look up,
// run, reply) of SENTINEL GET-MASTER-ADDR-BY-NAME over a real socket, 16
// pipelined requests per round trip like `redis-benchmark -P 16`. allocs/op
// counts the whole process (client side included) per request; it does not
// depend on the machine's load, ns/op does. cmd/raftinel-bench measures
// the node end to end against redis-sentinel.
func BenchmarkGetMasterAddr(b *testing.B) {
	benchPipelined(b, "*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$8\r\nmymaster\r\n",
		"*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n")
}

// BenchmarkPing is the same for PING.
func BenchmarkPing(b *testing.B) {
	benchPipelined(b, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n")
}

func benchPipelined(b *testing.B, req, reply string) {
	const depth = 16
	e := newEnv(b)
	nc, err := net.Dial("tcp", e.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	batch := bytes.Repeat([]byte(req), depth)
	want := bytes.Repeat([]byte(reply), depth)
	got := make([]byte, len(want))
	rd := bufio.NewReader(nc)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := nc.Write(batch); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(rd, got); err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			b.Fatalf("reply %q", got)
		}
	}
}
