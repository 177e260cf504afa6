package bench

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/netfault"
)

// partition gives every process of a loss run its own loopback address and
// cuts the old master off from the monitors and the replicas, leaving the
// writer's path to it intact (internal/netfault: nftables drops).
type partition struct {
	n *netfault.Net
}

func openPartition() (*partition, error) {
	n, err := netfault.Open()
	if errors.Is(err, netfault.ErrUnavailable) {
		return nil, fmt.Errorf("%w: %v", ErrBlocked, err)
	}
	if err != nil {
		return nil, err
	}
	return &partition{n: n}, nil
}

func (p *partition) addr() string { return p.n.Addr() }

func (p *partition) addrs(k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = p.n.Addr()
	}
	return out
}

// isolate cuts master from every monitor and every replica of e. raftinel
// dials from its bind address, so cutting the monitors' addresses is
// enough; redis-sentinel dials from 127.0.0.1 whatever it binds to (and
// drops its links when given bind-source-addr), so for it the master is
// also cut from 127.0.0.1, which only the sentinels use in this run: the
// replicas dial from their own address (bind-source-addr) and the writer
// from its own.
func (p *partition) isolate(sys System, master *harness.Redis, e *failoverEnv) error {
	var others []string
	for _, n := range e.c.nodes {
		others = append(others, n.Host)
	}
	for _, r := range e.set.replicas {
		others = append(others, r.Host)
	}
	if err := p.n.Cut([]string{master.Host}, others); err != nil {
		return err
	}
	if sys == Sentinel {
		return p.cutLoopbackDefault(master.Host)
	}
	return nil
}

// cutLoopbackDefault drops packets between addr and 127.0.0.1 in the Net's
// own table. netfault only cuts addresses it handed out, so this adds the
// pair to its "cut" set directly; Heal via HealAll and Close remove it with
// the rest.
func (p *partition) cutLoopbackDefault(addr string) error {
	script := fmt.Sprintf("add element inet %s cut { %s . 127.0.0.1, 127.0.0.1 . %s }\n", p.n.Table(), addr, addr)
	bin, err := exec.LookPath("nft")
	if err != nil {
		bin = "/usr/sbin/nft" // netfault.Open found it, maybe outside PATH
	}
	cmd := exec.Command(bin, "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (p *partition) heal() error { return p.n.HealAll() }

func (p *partition) close() { _ = p.n.Close() }
