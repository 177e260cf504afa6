package bench

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// simTargets stands in for Redis instances where the machine cannot run
// real redis-server processes (4000 for 1000 masters with 3 replicas each,
// and each of them pinged by every monitor). It is one set of listeners in
// the bench process, one per simulated instance on its own loopback
// address (127.0.<a>.<b>:6379), each answering what a monitor asks a
// healthy instance: PING, CLIENT SETNAME, AUTH, and INFO with the
// replication section of a master with its replicas, or of a replica
// linked to its master. Anything else gets +OK. A simulated instance never
// fails and is never failed over: the failover figures of the scale
// scenario come from real sets alongside. Reports label these instances
// as simulated.
type simTargets struct {
	lns        []net.Listener
	wg         sync.WaitGroup
	mu         sync.Mutex
	conn       map[net.Conn]struct{}
	acceptErrs atomic.Int64 // failed accepts (the listener keeps accepting)
}

// simSet is one simulated master and its replicas.
type simSet struct {
	master   string   // host:port
	replicas []string // host:port
}

// simAddr is the address of simulated instance i.
func simAddr(i int) string {
	return fmt.Sprintf("127.0.%d.%d:6379", 2+i/250, 1+i%250)
}

// startSimSets serves count simulated sets of 1+replicas instances in this
// process, the first being set number first.
func startSimSets(first, count, replicas int) (*simTargets, []simSet, error) {
	st := &simTargets{conn: map[net.Conn]struct{}{}}
	sets := simSets(first, count, replicas)
	for _, set := range sets {
		if err := st.listen(set.master, masterInfo(set)); err != nil {
			st.close()
			return nil, nil, err
		}
		for _, r := range set.replicas {
			if err := st.listen(r, replicaInfo(r, set.master)); err != nil {
				st.close()
				return nil, nil, err
			}
		}
	}
	return st, sets, nil
}

// simSets are the addresses of count simulated sets from set number first.
func simSets(first, count, replicas int) []simSet {
	var sets []simSet
	next := first * (1 + replicas)
	for range count {
		set := simSet{master: simAddr(next)}
		next++
		for range replicas {
			set.replicas = append(set.replicas, simAddr(next))
			next++
		}
		sets = append(sets, set)
	}
	return sets
}

func runID(addr string) string {
	sum := sha1.Sum([]byte("sim " + addr))
	return hex.EncodeToString(sum[:])
}

// masterInfo is the INFO reply of a simulated master.
func masterInfo(s simSet) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\nredis_version:7.0.15\r\nrun_id:%s\r\n\r\n# Replication\r\nrole:master\r\nconnected_slaves:%d\r\n", runID(s.master), len(s.replicas))
	for i, r := range s.replicas {
		h, p, _ := net.SplitHostPort(r)
		fmt.Fprintf(&b, "slave%d:ip=%s,port=%s,state=online,offset=1000,lag=0\r\n", i, h, p)
	}
	b.WriteString("master_repl_offset:1000\r\n")
	return bulk(b.String())
}

// replicaInfo is the INFO reply of a simulated replica of master.
func replicaInfo(addr, master string) []byte {
	h, p, _ := net.SplitHostPort(master)
	return bulk(fmt.Sprintf("# Server\r\nredis_version:7.0.15\r\nrun_id:%s\r\n\r\n# Replication\r\nrole:slave\r\nmaster_host:%s\r\nmaster_port:%s\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:0\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:1000\r\nslave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:0\r\nmaster_repl_offset:1000\r\n",
		runID(addr), h, p))
}

func bulk(s string) []byte { return []byte("$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n") }

func (st *simTargets) listen(addr string, info []byte) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("simulated instance %s: %w", addr, err)
	}
	st.lns = append(st.lns, ln)
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil { // out of descriptors, say: counted, and accepting goes on
				st.acceptErrs.Add(1)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			st.mu.Lock()
			st.conn[c] = struct{}{}
			st.mu.Unlock()
			go st.serve(c, info)
		}
	}()
	return nil
}

// serve answers one connection's commands (RESP arrays of bulk strings).
func (st *simTargets) serve(c net.Conn, info []byte) {
	defer func() {
		c.Close()
		st.mu.Lock()
		delete(st.conn, c)
		st.mu.Unlock()
	}()
	br := bufio.NewReader(c)
	var out []byte
	for {
		name, err := readCommandName(br)
		if err != nil {
			return
		}
		switch name {
		case "ping":
			out = append(out, "+PONG\r\n"...)
		case "info":
			out = append(out, info...)
		default:
			out = append(out, "+OK\r\n"...)
		}
		if br.Buffered() == 0 { // answer a pipeline with one write
			if _, err := c.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// readCommandName reads one command and returns its name, lower-cased.
func readCommandName(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || line[0] != '*' {
		return "", io.ErrUnexpectedEOF
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 1 || n > 64 {
		return "", io.ErrUnexpectedEOF
	}
	var name string
	for i := 0; i < n; i++ {
		h, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		l, err := strconv.Atoi(strings.TrimSpace(h[1:]))
		if err != nil || l < 0 || l > 1<<20 {
			return "", io.ErrUnexpectedEOF
		}
		arg := make([]byte, l+2)
		if _, err := io.ReadFull(br, arg); err != nil {
			return "", err
		}
		if i == 0 {
			name = strings.ToLower(string(arg[:l]))
		}
	}
	return name, nil
}

func (st *simTargets) close() {
	for _, ln := range st.lns {
		ln.Close()
	}
	st.mu.Lock()
	for c := range st.conn {
		c.Close()
	}
	st.mu.Unlock()
	st.wg.Wait()
}
