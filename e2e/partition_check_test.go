//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/raftinel/raftinel/internal/load"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// staleGrace: how long after the freshness bound a cut-off node may still
// answer an address (a probe already in flight, the node's check period).
const staleGrace = 250 * time.Millisecond

// figures are what a partition run measured.
type figures struct {
	name        string
	promotions  int           // distinct +switch-master (one per epoch)
	switchAfter time.Duration // fault → first +switch-master (0 = none)
	splitBrain  time.Duration // time after a switch with two masters taking writes
	staleAddrs  int           // addresses answered that a client must not get
	staleErrs   int           // -STALE (or other error) answers while cut off
	acked, lost int
	errs        map[string]int
	readonly    int           // READONLY errors after a switch was published
	converge    time.Duration // heal → all nodes and roles agree
}

// switches checks the +switch-master events: per node, each belongs to the
// epoch of the +new-epoch before it; no epoch has two promotions, and all
// nodes agree on what each epoch promoted. It returns epoch -> payload.
func switches(evs []pevent, nodes int) (map[string]string, []string) {
	var problems []string
	agreed := map[string]string{}
	for n := 0; n < nodes; n++ {
		epoch := "?"
		mine := map[string]string{}
		for _, ev := range evs {
			if ev.node != n {
				continue
			}
			switch ev.channel {
			case "+new-epoch":
				epoch = ev.payload
			case "+switch-master":
				// the same promotion seen again is a restarted node
				// replaying its log, not a second promotion
				if prev, ok := mine[epoch]; ok && prev != ev.payload {
					problems = append(problems, fmt.Sprintf("node %d: two promotions in epoch %s: %q and %q", n, epoch, prev, ev.payload))
				}
				mine[epoch] = ev.payload
				if prev, ok := agreed[epoch]; ok && prev != ev.payload {
					problems = append(problems, fmt.Sprintf("epoch %s promoted %q on one node and %q on node %d", epoch, prev, ev.payload, n))
				}
				agreed[epoch] = ev.payload
			}
		}
	}
	return agreed, problems
}

// staleAnswers counts the addresses a client must not have been given: by
// a node cut off from every majority for longer than the freshness bound,
// or an address other than the one every connected node has agreed on for
// at least 500 ms. It also counts the error answers of cut-off nodes.
func staleAnswers(samples []sample) (bad int, errs int, detail []string) {
	var truth string
	var truthSince time.Time
	for _, s := range samples {
		t := ""
		agree := true
		for _, a := range s.answers {
			if a.isoNode || a.down || a.addr == "" {
				continue
			}
			if t != "" && a.addr != t {
				agree = false
			}
			t = a.addr
		}
		if !agree || t == "" {
			t = ""
		}
		if t != truth {
			truth, truthSince = t, s.at
		}
		for i, a := range s.answers {
			if a.isoNode && a.addr == "" && a.err != "" {
				errs++
			}
			if a.addr == "" {
				continue
			}
			switch {
			case a.isoNode && a.isoFor > pStaleAfter+staleGrace:
				bad++
				detail = append(detail, fmt.Sprintf("%s node %d cut off for %v answered %s", s.at.Format("15:04:05.000"), i, a.isoFor.Round(time.Millisecond), a.addr))
			case !a.isoNode && truth != "" && a.addr != truth && s.at.Sub(truthSince) >= 500*time.Millisecond:
				bad++
				detail = append(detail, fmt.Sprintf("%s node %d answered %s, the others %s", s.at.Format("15:04:05.000"), i, a.addr, truth))
			}
		}
	}
	return bad, errs, detail
}

// healWatch asks the cut-off nodes for the master as fast as it can for d
// from just before the heal, and returns the answers that differ from what
// a node of the majority answers when the heal starts: a node back from
// isolation must answer -STALE until it has caught up, never the
// pre-failover master. Call the returned function to wait for the result.
func (e *penv) healWatch(isolated []int, d time.Duration) func() []string {
	truth := ""
	for i := range e.nodes {
		if !slices.Contains(isolated, i) {
			truth = masterAddr(e.nodes[i], "mymaster")
			break
		}
	}
	if truth == "" || len(isolated) == 0 {
		return func() []string { return nil }
	}
	out := make(chan []string, len(isolated))
	start := time.Now()
	for _, n := range isolated {
		go func(n int) {
			var bad []string
			for time.Since(start) < d {
				v, err := quickDo(e.nodes[n].Addr(), 200*time.Millisecond, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
				if a := strings.Replace(v, "\n", ":", 1); err == nil && a != truth && len(bad) < 1000 {
					bad = append(bad, fmt.Sprintf("node %d answered %s %v after the heal, the majority %s", n, a, time.Since(start).Round(time.Microsecond), truth))
				}
			}
			out <- bad
		}(n)
	}
	return func() []string {
		var all []string
		for range isolated {
			all = append(all, <-out...)
		}
		return all
	}
}

// splitBrain sums the time after `after` during which two or more Redis
// instances said master and took the probe's write.
func splitBrain(samples []sample, after time.Time) time.Duration {
	var total time.Duration
	for i, s := range samples {
		if s.at.Before(after) || i+1 == len(samples) {
			continue
		}
		n := 0
		for _, r := range s.roles {
			if r.accepts {
				n++
			}
		}
		if n >= 2 {
			total += min(samples[i+1].at.Sub(s.at), 2*probePeriod)
		}
	}
	return total
}

// converged reports the master every running node answers when every
// running Redis agrees: it is master, the others replicate from it with
// their link up. It returns the index of that Redis, or -1.
func (e *penv) converged() int {
	addr := ""
	for i, n := range e.nodes {
		_, down := e.isolation()
		if down[i] {
			continue
		}
		a := masterAddr(n, "mymaster")
		if a == "" || (addr != "" && a != addr) {
			return -1
		}
		addr = a
	}
	idx := -1
	for i, r := range e.redis {
		if r.Addr() == addr {
			idx = i
		}
	}
	if idx < 0 || e.redis[idx].Role() != "master" {
		return -1
	}
	// every other running instance replicates, link up, from the master
	// or from a replica of it (a replica cut off during the failover is
	// re-pointed after failover-timeout, as Sentinel does; until then it
	// follows the demoted old master)
	follows := map[string]string{}
	for i, r := range e.redis {
		if i == idx || !r.Running() {
			continue
		}
		info, err := r.Info("replication")
		if err != nil || info["role"] != "slave" || info["master_link_status"] != "up" {
			return -1
		}
		follows[r.Addr()] = info["master_host"] + ":" + info["master_port"]
	}
	for a := range follows {
		for hops := 0; a != addr; hops++ {
			next, ok := follows[a]
			if !ok || hops > len(e.redis) {
				return -1
			}
			a = next
		}
	}
	return idx
}

// waitConverged polls converged until it holds; it fails the test after
// timeout.
func (e *penv) waitConverged(timeout time.Duration) (int, time.Duration) {
	e.t.Helper()
	start := time.Now()
	idx := -1
	redistest.WaitFor(e.t, timeout, "all nodes and all Redis roles agree on one master", func() bool {
		idx = e.converged()
		return idx >= 0
	})
	return idx, time.Since(start)
}

// lostWrites returns the acknowledged keys the final master does not have.
func (e *penv) lostWrites(master int, acked map[string]time.Time) []string {
	e.t.Helper()
	keys := make([]string, 0, len(acked))
	for k := range acked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c := redis.NewClient(&redis.Options{Addr: e.redis[master].Addr()})
	defer c.Close()
	var out []string
	for i := 0; i < len(keys); i += 500 {
		j := min(i+500, len(keys))
		vals, err := c.MGet(bg(), keys[i:j]...).Result()
		if err != nil {
			e.t.Fatalf("MGET on %s: %v", e.redis[master].Addr(), err)
		}
		for k, v := range vals {
			if v == nil {
				out = append(out, keys[i+k])
			}
		}
	}
	return out
}

// errCounts counts writer errors by kind, and READONLY errors after t.
func errCounts(errs []load.Failure, after time.Time) (map[string]int, int) {
	m := map[string]int{}
	ro := 0
	for _, e := range errs {
		m[e.Kind]++
		if e.Kind == "READONLY" && !after.IsZero() && e.At.After(after) {
			ro++
		}
	}
	return m, ro
}

func fmtErrs(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var p []string
	for _, k := range ks {
		p = append(p, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(p, " ")
}

func fmtDur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.Round(time.Millisecond).String()
}

// table renders figures as the summary table.
func table(rows []figures) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-34s %-9s %-10s %-11s %-12s %-11s %-14s %-9s %s\n",
		"case", "switches", "switch", "split-brain", "stale addr/err", "lost/acked", "READONLY>switch", "converge", "client errors")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-34s %-9d %-10s %-11s %-14s %-11s %-15d %-9s %s\n",
			r.name, r.promotions, fmtDur(r.switchAfter), fmtDur(r.splitBrain),
			fmt.Sprintf("%d/%d", r.staleAddrs, r.staleErrs), fmt.Sprintf("%d/%d", r.lost, r.acked),
			r.readonly, fmtDur(r.converge), fmtErrs(r.errs))
	}
	return b.String()
}
