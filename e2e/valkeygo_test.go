//go:build e2e

package e2e

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// valkey-go v1.0.80's Sentinel client against a 3-node raftinel cluster
// over a real master and two replicas. Its sentinel code sends SENTINEL
// SENTINELS, GET-MASTER-ADDR-BY-NAME and REPLICAS (master spellings) and
// subscribes to +sentinel +slave +sdown -sdown +switch-master +reboot; it
// follows a SENTINEL FAILOVER. Valkey 8's primary spellings, which
// valkey-go itself never sends, are asked through a plain valkey-go
// connection and must answer what the master spellings answer.
func TestValkeyGoSentinelClient(t *testing.T) {
	set := redistest.StartSet(t, 2)
	c := startCluster(t, 3, append(fastLines, monitorLines("mymaster", set.Master, 2, 2000)...)...)
	for _, n := range c.Nodes {
		redistest.WaitFor(t, 10*time.Second, "replicas known on "+n.Addr(), func() bool {
			s, err := n.Do("SENTINEL", "MASTER", "mymaster")
			return err == nil && harness.FlatMap(s)["num-slaves"] == "2"
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opt := valkey.ClientOption{InitAddress: sentinelAddrs(c.Nodes...),
		Sentinel: valkey.SentinelOption{MasterSet: "mymaster"}, DisableCache: true}
	m, err := valkey.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Do(ctx, m.B().Set().Key("k").Value("v1").Build()).Error(); err != nil {
		t.Fatalf("SET through valkey-go: %v", err)
	}
	if role := valkeyRole(ctx, t, m); role != "master" {
		t.Fatalf("master client talks to a %s", role)
	}
	ro := opt
	ro.ReplicaOnly = true
	r, err := valkey.NewClient(ro)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if role := valkeyRole(ctx, t, r); role != "slave" {
		t.Fatalf("ReplicaOnly client talks to a %s", role)
	}

	// The primary spellings, through a plain valkey-go connection.
	plain, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{c.Nodes[1].Addr()}, ForceSingleClient: true, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ask := func(args ...string) (any, error) {
		return plain.Do(ctx, plain.B().Arbitrary(args...).Build()).ToAny()
	}
	for _, p := range [][2][]string{
		{{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}, {"SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster"}},
		{{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"}, {"SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "nosuch"}},
		{{"SENTINEL", "MASTER", "nosuch"}, {"SENTINEL", "PRIMARY", "nosuch"}},
		{{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", set.Master.Host, itoa(set.Master.Port), "0", "*"},
			{"SENTINEL", "IS-PRIMARY-DOWN-BY-ADDR", set.Master.Host, itoa(set.Master.Port), "0", "*"}},
	} {
		a, errA := ask(p[0]...)
		b, errB := ask(p[1]...)
		if !reflect.DeepEqual(a, b) || (errA == nil) != (errB == nil) || (errA != nil && errA.Error() != errB.Error()) {
			t.Errorf("%q = %v %v; %q = %v %v", p[0], a, errA, p[1], b, errB)
		}
	}
	primaries, err := plain.Do(ctx, plain.B().Arbitrary("SENTINEL", "PRIMARIES").Build()).ToArray()
	if err != nil || len(primaries) != 1 {
		t.Fatalf("SENTINEL PRIMARIES: %v %v", primaries, err)
	}
	if pm, err := plain.Do(ctx, plain.B().Arbitrary("SENTINEL", "PRIMARY", "mymaster").Build()).AsStrMap(); err != nil ||
		pm["name"] != "mymaster" || pm["port"] != itoa(set.Master.Port) {
		t.Fatalf("SENTINEL PRIMARY: %v %v", pm, err)
	}

	// A failover: valkey-go follows +switch-master to the new master.
	if s, err := c.Nodes[0].Do("SENTINEL", "FAILOVER", "mymaster"); err != nil || s != "OK" {
		t.Fatalf("FAILOVER: %q %v", s, err)
	}
	redistest.WaitFor(t, 20*time.Second, "valkey-go on the new master", func() bool {
		if err := m.Do(ctx, m.B().Set().Key("k").Value("v2").Build()).Error(); err != nil {
			return false
		}
		port, _ := plain.Do(ctx, plain.B().Arbitrary("SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster").Build()).ToArray()
		return len(port) == 2 && valkeyRole(ctx, t, m) == "master" && !strings.HasSuffix(set.Master.Addr(), ":"+mustString(port[1]))
	})
}

func valkeyRole(ctx context.Context, t *testing.T, c valkey.Client) string {
	t.Helper()
	v, err := c.Do(ctx, c.B().Role().Build()).ToArray()
	if err != nil || len(v) == 0 {
		t.Fatalf("ROLE: %v %v", v, err)
	}
	return mustString(v[0])
}

func mustString(m valkey.ValkeyMessage) string {
	s, _ := m.ToString()
	return s
}
