package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Simulated instances live in child processes of the bench (this same
// binary, started with simChildEnv), each serving at most simSetsPerProc
// sets. One process cannot hold them all: every simulated instance needs a
// listener and, per monitoring node, a probe and a command link, 7
// descriptors with 3 nodes, so 4000 instances need about 28000 and the
// usual limit is 20000 (which an unprivileged process, root in a container
// included, cannot raise). With one process the accepts beyond the limit
// failed, those instances' listen queues filled, and the monitors' dials
// timed out: it looked like simulated instances flapping (the 2026-12-07
// scale runs before this change).
const (
	simChildEnv    = "RAFTINEL_BENCH_SIMSETS" // "first,count,replicas"
	simSetsPerProc = 500
)

// In a child started by startSimTargets, serve and exit when the parent
// closes stdin (or dies).
func init() {
	if spec := os.Getenv(simChildEnv); spec != "" {
		os.Exit(serveSimChild(spec))
	}
}

func serveSimChild(spec string) int {
	var first, count, replicas int
	if _, err := fmt.Sscanf(strings.ReplaceAll(spec, ",", " "), "%d %d %d", &first, &count, &replicas); err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v\n", simChildEnv, spec, err)
		return 2
	}
	st, _, err := startSimSets(first, count, replicas)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it or exits
	st.close()
	if n := st.acceptErrs.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "%d failed accepts\n", n)
		return 3
	}
	return 0
}

// simProcs is the child processes serving the simulated sets.
type simProcs struct {
	procs []*simProc
}

type simProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr strings.Builder
}

// startSimTargets starts masters simulated sets of 1+replicas instances,
// perProc per child process, and returns their addresses.
func startSimTargets(masters, replicas, perProc int) (*simProcs, []simSet, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	sp := &simProcs{}
	for first := 0; first < masters; first += perProc {
		n := min(perProc, masters-first)
		p := &simProc{cmd: exec.Command(exe)}
		p.cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d,%d", simChildEnv, first, n, replicas))
		p.cmd.Stderr = &p.stderr
		out, err := p.cmd.StdoutPipe()
		if err == nil {
			p.stdin, err = p.cmd.StdinPipe()
		}
		if err == nil {
			err = p.cmd.Start()
		}
		if err != nil {
			sp.close()
			return nil, nil, fmt.Errorf("simulated sets %d-%d: %w", first+1, first+n, err)
		}
		sp.procs = append(sp.procs, p)
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			sp.close()
			return nil, nil, fmt.Errorf("simulated sets %d-%d: %q %v: %s", first+1, first+n, line, err, p.stderr.String())
		}
	}
	return sp, simSets(0, masters, replicas), nil
}

// close stops every child (closing its stdin, then waiting for it) and
// returns what went wrong in them (failed accepts, say).
func (sp *simProcs) close() error {
	var errs []error
	for _, p := range sp.procs {
		p.stdin.Close()
		if err := p.cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("simulated instances process %d: %v: %s", p.cmd.Process.Pid, err, strings.TrimSpace(p.stderr.String())))
		}
	}
	sp.procs = nil
	return errors.Join(errs...)
}
