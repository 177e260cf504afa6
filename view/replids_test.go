package view

import "testing"

func TestReplIDs(t *testing.T) {
	var r ReplIDs
	r.Push("")
	if r.Has("") || r != (ReplIDs{}) {
		t.Fatalf("empty id kept: %v", r)
	}
	for _, id := range []string{"a", "b", "b", "c", "a", "d"} {
		r.Push(id)
	}
	// "a" was kept when pushed again (no duplicate), so "d" pushes "a" out
	if want := (ReplIDs{"d", "c", "b"}); r != want {
		t.Fatalf("got %v, want %v", r, want)
	}
	if r.Has("a") || !r.Has("b") || !r.Has("d") {
		t.Fatalf("Has: %v", r)
	}
}
