package sdsargs

import (
	"reflect"
	"testing"
)

// The cases where sdssplitargs surprises: quotes inside an argument, the
// escapes each quote takes, a closing quote that must end the argument,
// and a NUL byte that ends the line (as in C). config's and resp's tests
// cover the rest through their callers.
func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`set a b`, []string{"set", "a", "b"}, true},
		{"  \t a  ", []string{"a"}, true},
		{`foo"bar baz"`, []string{"foobar baz"}, true},
		{`"a\x41\n\q"`, []string{"aA\nq"}, true},
		{`'it\'s' '\n'`, []string{"it's", `\n`}, true},
		{`"ab"c`, nil, false},
		{`"open`, nil, false},
		{"a\x00b c", []string{"a"}, true},
		{"", nil, true},
	} {
		raw, ok := Split([]byte(tc.in))
		var got []string
		for _, a := range raw {
			got = append(got, string(a))
		}
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%q) = %q %v, want %q %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
