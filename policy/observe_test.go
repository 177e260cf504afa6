package policy

import (
	"reflect"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
)

func testState() *model.State {
	st := model.NewState()
	for i, name := range []string{"a", "b"} {
		set := model.DefaultSettings(2)
		set.DownAfterMs = 5000
		st.Masters[name] = &model.Master{Name: name, Addr: model.Addr{Host: "127.0.0.1", Port: 7000 + 10*i},
			Settings: set, Replicas: []model.Addr{{Host: "127.0.0.1", Port: 7001 + 10*i}}}
	}
	return st
}

func TestObservations(t *testing.T) {
	a, b := "127.0.0.1:7000", "127.0.0.1:7010"
	for _, tc := range []struct {
		name      string
		committed map[string]bool // master -> this node's committed "down"
		want      map[string]Opinion
		freshFor  time.Duration
		out       []string // "master down|up"
		recheck   time.Duration
	}{
		{"nothing to say", nil, nil, time.Minute, nil, 0},
		{"up, committed up (none)", nil, map[string]Opinion{"a": {false, a}}, time.Minute, nil, 0},
		{"down, fresh long enough", nil, map[string]Opinion{"a": {true, a}}, 5 * time.Second, []string{"a down"}, 0},
		{"down held back after regaining contact", nil, map[string]Opinion{"a": {true, a}}, 5*time.Second - time.Millisecond, nil, time.Millisecond},
		{"the first hold decides the recheck", nil, map[string]Opinion{"a": {true, a}, "b": {false, b}}, 2 * time.Second, nil, 3 * time.Second},
		{"up is never held back", map[string]bool{"a": true}, map[string]Opinion{"a": {false, a}}, 0, []string{"a up"}, 0},
		{"already committed", map[string]bool{"a": true}, map[string]Opinion{"a": {true, a}}, time.Minute, nil, 0},
		{"stale address (a failover switched it)", nil, map[string]Opinion{"a": {true, "127.0.0.1:7001"}}, time.Minute, nil, 0},
		{"master no longer monitored", nil, map[string]Opinion{"gone": {true, a}}, time.Minute, nil, 0},
		{"two masters, sorted", nil, map[string]Opinion{"b": {true, b}, "a": {true, a}}, time.Minute, []string{"a down", "b down"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := testState()
			for m, down := range tc.committed {
				st.Masters[m].Observations = map[string]model.Observation{"me": {Down: down}, "other": {Down: !down}}
			}
			var got []string
			obs, recheck := Observations(st, "me", tc.want, tc.freshFor)
			if recheck != tc.recheck {
				t.Fatalf("recheck %v, want %v", recheck, tc.recheck)
			}
			for _, o := range obs {
				if o.Addr != st.Masters[o.Master].Addr {
					t.Fatalf("%s proposed about %s", o.Master, o.Addr)
				}
				got = append(got, o.Master+map[bool]string{true: " down", false: " up"}[o.Down])
			}
			if !reflect.DeepEqual(got, tc.out) {
				t.Fatalf("got %v, want %v", got, tc.out)
			}
		})
	}
}

func TestContact(t *testing.T) {
	var c Contact
	t0 := time.Unix(1000, 0)
	steps := []struct {
		fresh bool
		at    time.Duration
		want  time.Duration
	}{
		{false, 0, 0},
		{true, time.Second, 0},                   // contact from now
		{true, 3 * time.Second, 2 * time.Second}, // without a break
		{false, 4 * time.Second, 0},              // lost
		{true, 5 * time.Second, 0},               // regained: counts anew
		{true, 6 * time.Second, time.Second},
	}
	for i, s := range steps {
		if got := c.Update(s.fresh, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
	}
}
