package sentinelproto

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
)

// Benchmarks of the request path (read, parse, look up, run, reply) over a
// real socket, 16 pipelined requests per round trip like `redis-benchmark
// -P 16`. allocs/op counts the whole process per request, the client's
// side included (it allocates nothing: replies are skipped in place); it
// does not depend on the machine's load, ns/op does. cmd/raftinel-bench
// measures the node end to end against redis-sentinel.

func BenchmarkGetMasterAddr(b *testing.B) {
	benchPipelined(b, "SENTINEL", "get-master-addr-by-name", "mymaster")
}

func BenchmarkPing(b *testing.B) { benchPipelined(b, "PING") }

func BenchmarkReplicas(b *testing.B) { benchPipelined(b, "SENTINEL", "replicas", "mymaster") }

func BenchmarkMaster(b *testing.B) { benchPipelined(b, "SENTINEL", "master", "mymaster") }

func BenchmarkInfo(b *testing.B) { benchPipelined(b, "INFO") }

func benchPipelined(b *testing.B, args ...string) {
	const depth = 16
	e := newEnv(b)
	nc, err := net.Dial("tcp", e.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	batch := bytes.Repeat([]byte(encode(args...)), depth)
	rd := bufio.NewReaderSize(nc, 64<<10)
	// One exchange first: the reply must not be an error.
	if _, err := nc.Write([]byte(encode(args...))); err != nil {
		b.Fatal(err)
	}
	if first, err := readFrame(rd); err != nil || first[0] == '-' {
		b.Fatalf("%q: %q %v", args, first, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := nc.Write(batch); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < depth; j++ {
			if err := skipFrame(rd); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// skipFrame reads past one RESP frame without allocating.
func skipFrame(rd *bufio.Reader) error {
	line, err := rd.ReadSlice('\n')
	if err != nil {
		return err
	}
	if len(line) < 3 {
		return io.ErrUnexpectedEOF
	}
	kind := line[0]
	n := 0
	if kind == '$' || kind == '=' || kind == '*' || kind == '~' || kind == '>' || kind == '%' {
		n, _ = strconv.Atoi(string(line[1 : len(line)-2]))
	}
	switch kind {
	case '$', '=':
		if n >= 0 {
			_, err = rd.Discard(n + 2)
		}
		return err
	case '*', '~', '>', '%':
		if kind == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := skipFrame(rd); err != nil {
				return err
			}
		}
	}
	return nil
}
