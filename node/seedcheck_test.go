package node

import (
	"strings"
	"testing"

	"github.com/raftinel/raftinel/model"
)

func TestResolveMaster(t *testing.T) {
	a := func(p int) model.Addr { return model.Addr{Host: "10.0.0.1", Port: p} }
	type reply struct {
		role   string
		master model.Addr
	}
	topo := func(m map[int]reply) roleOf {
		return func(x model.Addr) (string, model.Addr, bool) {
			r, ok := m[x.Port]
			return r.role, r.master, ok
		}
	}
	tests := []struct {
		name string
		topo map[int]reply
		want int
		why  string
	}{
		{"configured is the master", map[int]reply{1: {"master", model.Addr{}}}, 1, ""},
		{"configured does not answer", map[int]reply{}, 1, "does not answer"},
		{"configured is a replica of the master", map[int]reply{1: {"slave", a(2)}, 2: {"master", model.Addr{}}}, 2, "is a replica"},
		{"two hops", map[int]reply{1: {"slave", a(2)}, 2: {"slave", a(3)}, 3: {"master", model.Addr{}}}, 3, "is a replica"},
		{"its master does not answer", map[int]reply{1: {"slave", a(2)}}, 1, "does not answer"},
		{"a loop", map[int]reply{1: {"slave", a(2)}, 2: {"slave", a(1)}}, 1, "loops"},
		{"too long", map[int]reply{1: {"slave", a(2)}, 2: {"slave", a(3)}, 3: {"slave", a(4)}, 4: {"slave", a(5)}, 5: {"master", model.Addr{}}}, 1, "too long"},
		{"replica without a master", map[int]reply{1: {"slave", model.Addr{}}}, 1, "seeded as written"},
	}
	for _, tc := range tests {
		got, why := resolveMaster(a(1), topo(tc.topo))
		if got != a(tc.want) || (tc.why == "") != (why == "") || !strings.Contains(why, tc.why) {
			t.Errorf("%s: %v %q, want %v ~%q", tc.name, got, why, a(tc.want), tc.why)
		}
	}
}
