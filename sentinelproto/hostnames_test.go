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
