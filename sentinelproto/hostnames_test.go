package sentinelproto

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestHostCache(t *testing.T) {
	h := newHostCache(50 * time.Millisecond)
	calls := 0
	answer := []string{"10.0.0.7", "10.0.0.8"}
	h.lookup = func(ctx context.Context, host string) ([]string, error) {
		calls++
		if host == "bad" {
			return nil, errors.New("no such host")
		}
		return answer, nil
	}
	if ip := h.ip(context.Background(), "db"); ip != "10.0.0.7" || calls != 1 {
		t.Fatalf("first lookup: %q after %d calls", ip, calls)
	}
	answer = []string{"10.0.0.9"}
	if ip := h.ip(context.Background(), "db"); ip != "10.0.0.7" || calls != 1 {
		t.Errorf("within the TTL the cached address is used: %q, %d calls", ip, calls)
	}
	time.Sleep(60 * time.Millisecond)
	if ip := h.ip(context.Background(), "db"); ip != "10.0.0.9" || calls != 2 {
		t.Errorf("after the TTL the name is resolved again: %q, %d calls", ip, calls)
	}
	if ip := h.ip(context.Background(), "bad"); ip != "" {
		t.Errorf("unresolvable: %q", ip)
	}
	if h.ip(context.Background(), "bad"); calls != 3 {
		t.Errorf("failures are cached too: %d calls", calls)
	}
}

func TestParseNumericHost(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1", "1.2.3": "1.2.0.3", "127.1": "127.0.0.1",
		"0x7f.1": "127.0.0.1", "2130706433": "127.0.0.1", "010.0.0.1": "8.0.0.1", "::1": "::1",
		"0:0::1": "::1", "fe80::1%lo": "fe80::1", "::ffff:1.2.3.4": "::ffff:1.2.3.4"} {
		if got, ok := parseNumericHost(in); !ok || got.String() != want {
			t.Errorf("%q: %v %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"localhost", "1.2.3.4.5", "256.1.1.1", "1.2.65536", "", "1..2", "-1", "09", "a.b.c.d"} {
		if got, ok := parseNumericHost(in); ok {
			t.Errorf("%q accepted as %v", in, got)
		}
	}
}
