package model

import (
	"reflect"
	"testing"
)

func TestSplitSet(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want []SetArg
		bad  string
	}{
		{nil, nil, ""},
		{[]string{"quorum", "2"}, []SetArg{{"quorum", []string{"2"}}}, ""},
		{[]string{"QUORUM", "2", "rename-command", "CONFIG", "XC", "down-after-milliseconds", "5"},
			[]SetArg{{"QUORUM", []string{"2"}}, {"rename-command", []string{"CONFIG", "XC"}}, {"down-after-milliseconds", []string{"5"}}}, ""},
		{[]string{"quorum", "2", "nope", "1", "quorum", "3"}, []SetArg{{"quorum", []string{"2"}}}, "nope"},
		{[]string{"quorum"}, nil, "quorum"},
		{[]string{"quorum", "2", "rename-command", "CONFIG"}, []SetArg{{"quorum", []string{"2"}}}, "rename-command"},
	} {
		got, bad := SplitSet(c.in)
		if !reflect.DeepEqual(got, c.want) || bad != c.bad {
			t.Errorf("SplitSet(%q) = %q, %q; want %q, %q", c.in, got, bad, c.want, c.bad)
		}
	}
	// Vals cannot grow into the next option.
	args, _ := SplitSet([]string{"quorum", "2", "parallel-syncs", "1"})
	if cap(args[0].Vals) != 1 {
		t.Fatalf("Vals has capacity %d", cap(args[0].Vals))
	}
}
