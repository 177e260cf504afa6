package demo

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// MasterName is the name the demo's nodes monitor the Redis set under.
const MasterName = "mymaster"

// procs are the processes the demo started: three redis-server and three
// raftinel nodes (this very binary, run again with a config path). Every
// process is signalled by the PID the demo got when starting it.
type procs struct {
	o     Options
	redis []*harness.Redis
	nodes []*harness.Node

	// act serializes actions with close: a restart in flight finishes (or
	// fails) before close kills, so no process is started after close.
	act    sync.Mutex
	closed bool

	mu      sync.Mutex
	stopped *harness.Redis // the master under SIGSTOP, if any
	killedR map[*harness.Redis]bool
	killedN map[*harness.Node]bool
	pids    []int // every PID ever started, for the exit report
}

// startProcs starts the Redis set, then the raftinel cluster. On error
// everything already started is stopped.
func startProcs(o Options, say func(string, ...any)) (*procs, error) {
	p := &procs{o: o, killedR: map[*harness.Redis]bool{}, killedN: map[*harness.Node]bool{}}
	var master *harness.Redis
	for i := 0; i < 3; i++ {
		ro := harness.RedisOptions{Dir: filepath.Join(o.Dir, fmt.Sprintf("redis%d", i+1)), ReplicaOf: master}
		r, err := harness.StartRedis(ro)
		if err != nil {
			p.close()
			return nil, err
		}
		if master == nil {
			master = r
		}
		p.redis = append(p.redis, r)
		p.started(r.PID(), say, "redis-server %s %s", p.redisName(r), r.Addr())
	}
	lines := []string{
		fmt.Sprintf("sentinel monitor %s %s %d 2", MasterName, master.Host, master.Port),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", MasterName, o.DownAfter.Milliseconds()),
		fmt.Sprintf("sentinel failover-timeout %s %d", MasterName, o.FailoverTimeout.Milliseconds()),
	}
	c, err := harness.StartCluster(harness.ClusterOptions{Bin: o.Bin, Size: 3, Dir: o.Dir, Lines: lines})
	if err != nil {
		p.close()
		return nil, fmt.Errorf("raftinel nodes: %w", err)
	}
	p.nodes = c.Nodes
	for _, n := range p.nodes {
		p.started(n.PID(), say, "raftinel %s %s", p.nodeName(n), n.Addr())
	}
	return p, nil
}

func (p *procs) started(pid int, say func(string, ...any), what string, args ...any) {
	p.mu.Lock()
	p.pids = append(p.pids, pid)
	p.mu.Unlock()
	say("started "+what+" pid=%d", append(args, pid)...)
}

// allPIDs returns every PID the demo started.
func (p *procs) allPIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.pids...)
}

// close kills every process (SIGCONT first, so a stopped one dies too) and
// waits for each to exit.
func (p *procs) close() {
	p.act.Lock()
	defer p.act.Unlock()
	p.closed = true
	for _, n := range p.nodes {
		n.Kill()
	}
	for _, r := range p.redis {
		r.Kill()
	}
}

func (p *procs) redisName(r *harness.Redis) string {
	for i, x := range p.redis {
		if x == r {
			return "r" + strconv.Itoa(i+1)
		}
	}
	return "r?"
}

func (p *procs) nodeName(n *harness.Node) string {
	for i, x := range p.nodes {
		if x == n {
			return "n" + strconv.Itoa(i+1)
		}
	}
	return "n?"
}

func (p *procs) redisByAddr(addr string) *harness.Redis {
	for _, r := range p.redis {
		if r.Addr() == addr {
			return r
		}
	}
	return nil
}

// masterAddr asks the running nodes which address they answer for the
// master; the first answer wins.
func (p *procs) masterAddr() (string, error) {
	for _, n := range p.nodes {
		if !n.Running() {
			continue
		}
		s, err := do(n.Addr(), 500*time.Millisecond, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MasterName)
		if err != nil {
			continue
		}
		if host, port, ok := splitPair(s); ok {
			return host + ":" + port, nil
		}
	}
	return "", errors.New("no running node answers the master address")
}

// leader returns the node that says it is the Raft leader.
func (p *procs) leader() (*harness.Node, error) {
	for _, n := range p.nodes {
		if !n.Running() {
			continue
		}
		s, err := do(n.Addr(), 500*time.Millisecond, "INFO", "raft")
		if err == nil && harness.ParseInfo(s)["raft_state"] == "leader" {
			return n, nil
		}
	}
	return nil, errors.New("no node is the Raft leader right now")
}

func (p *procs) currentMaster() (*harness.Redis, error) {
	addr, err := p.masterAddr()
	if err != nil {
		return nil, err
	}
	r := p.redisByAddr(addr)
	if r == nil {
		return nil, fmt.Errorf("the master %s is not a demo process", addr)
	}
	return r, nil
}

// killMaster sends SIGKILL to the Redis process the cluster names master.
func (p *procs) killMaster() (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.act.Unlock()
	r, err := p.currentMaster()
	if err != nil {
		return "", err
	}
	if !r.Running() {
		return "", fmt.Errorf("master %s is already dead: press r to restart it", p.redisName(r))
	}
	pid := r.PID()
	r.Kill()
	p.mu.Lock()
	p.killedR[r] = true
	if p.stopped == r {
		p.stopped = nil
	}
	p.mu.Unlock()
	return fmt.Sprintf("kill -9 of master %s %s (pid %d)", p.redisName(r), r.Addr(), pid), nil
}

// toggleStopMaster sends SIGSTOP to the master, or SIGCONT to the process
// stopped before.
func (p *procs) toggleStopMaster() (what string, stopped bool, err error) {
	if err := p.begin(); err != nil {
		return "", false, err
	}
	defer p.act.Unlock()
	p.mu.Lock()
	r := p.stopped
	p.mu.Unlock()
	if r != nil {
		return p.resume(), false, nil
	}
	if r, err = p.currentMaster(); err != nil {
		return "", false, err
	}
	if !r.Running() {
		return "", false, fmt.Errorf("master %s is dead: press r to restart it", p.redisName(r))
	}
	r.Stop()
	p.mu.Lock()
	p.stopped = r
	p.mu.Unlock()
	return fmt.Sprintf("SIGSTOP of master %s %s (pid %d)", p.redisName(r), r.Addr(), r.PID()), true, nil
}

func (p *procs) contMaster() string {
	if p.begin() != nil {
		return "stopping"
	}
	defer p.act.Unlock()
	return p.resume()
}

// resume sends SIGCONT to the stopped master (caller holds act).
func (p *procs) resume() string {
	p.mu.Lock()
	r := p.stopped
	p.stopped = nil
	p.mu.Unlock()
	if r == nil {
		return "nothing is stopped"
	}
	r.Resume()
	return fmt.Sprintf("SIGCONT of %s %s (pid %d)", p.redisName(r), r.Addr(), r.PID())
}

// killLeader sends SIGKILL to the Raft leader.
func (p *procs) killLeader() (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.act.Unlock()
	n, err := p.leader()
	if err != nil {
		return "", err
	}
	pid := n.PID()
	n.Kill()
	p.mu.Lock()
	p.killedN[n] = true
	p.mu.Unlock()
	return fmt.Sprintf("kill -9 of Raft leader %s %s (pid %d)", p.nodeName(n), n.Addr(), pid), nil
}

// restart starts again every killed process and resumes a stopped one.
func (p *procs) restart(say func(string, ...any)) (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.act.Unlock()
	p.mu.Lock()
	var rs []*harness.Redis
	var ns []*harness.Node
	for r := range p.killedR {
		rs = append(rs, r)
	}
	for n := range p.killedN {
		ns = append(ns, n)
	}
	p.mu.Unlock()
	done := 0
	if p.isStopped() {
		p.resume()
		done++
	}
	var errs []error
	for _, r := range rs {
		if err := r.Restart(); err != nil {
			errs = append(errs, err)
			continue
		}
		p.mu.Lock()
		delete(p.killedR, r)
		p.mu.Unlock()
		p.started(r.PID(), say, "redis-server %s %s", p.redisName(r), r.Addr())
		done++
	}
	for _, n := range ns {
		if err := n.Start(); err != nil {
			errs = append(errs, err)
			continue
		}
		p.mu.Lock()
		delete(p.killedN, n)
		p.mu.Unlock()
		p.started(n.PID(), say, "raftinel %s %s", p.nodeName(n), n.Addr())
		done++
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	if done == 0 {
		return "", errors.New("nothing was killed or stopped")
	}
	return fmt.Sprintf("restarted %d process(es)", done), nil
}

func (p *procs) isStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped != nil
}

// failover sends SENTINEL FAILOVER to a running node.
func (p *procs) failover() (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.act.Unlock()
	var last error = errors.New("no running node")
	for _, n := range p.nodes {
		if !n.Running() {
			continue
		}
		if _, err := do(n.Addr(), 5*time.Second, "SENTINEL", "FAILOVER", MasterName); err != nil {
			last = fmt.Errorf("SENTINEL FAILOVER on %s: %w", p.nodeName(n), err)
			if isRedisError(err) {
				return "", last
			}
			continue
		}
		return fmt.Sprintf("SENTINEL FAILOVER %s sent to %s", MasterName, p.nodeName(n)), nil
	}
	return "", last
}

// errClosed refuses actions once the demo is stopping.
var errClosed = errors.New("the demo is stopping")

// begin takes the action lock; the caller unlocks p.act.
func (p *procs) begin() error {
	p.act.Lock()
	if p.closed {
		p.act.Unlock()
		return errClosed
	}
	return nil
}
