package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"+sdown", "+sdown", true},
		{"+sdown", "-sdown", false},
		{"[-+]sdown", "-sdown", true},
		{"[-+]sdown", "+sdown", true},
		{"[-+]sdown", "xsdown", false},
		{"[^-+]sdown", "xsdown", true},
		{"my*", "mymaster", true},
		{"my*", "master", false},
		{"m?ster", "master", true},
		{"m?ster", "mster", false},
		{"[a-c]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"\\*x", "*x", true},
		{"\\*x", "ax", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"switch-master", "+switch-master", false},
		{"*master", "+switch-master", true},
		{"nomatch*", "mymaster", false},
	}
	for _, c := range cases {
		if got := Match(c.p, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
	if !MatchFold("ANNOUNCE-*", "announce-ip") || Match("ANNOUNCE-*", "announce-ip") {
		t.Error("fold")
	}
}

func TestMatchHostilePatternTerminates(t *testing.T) {
	p := strings.Repeat("*a", 40) + "b"
	s := strings.Repeat("a", 60)
	if Match(p, s) {
		t.Fatal("must not match")
	}
}
