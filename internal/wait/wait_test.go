package wait

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	n := 0
	if err := Until(context.Background(), 5*time.Second, "three polls", func() bool { n++; return n >= 3 }); err != nil {
		t.Fatalf("condition that becomes true: %v", err)
	}
	err := Until(context.Background(), 30*time.Millisecond, "never", func() bool { return false })
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "never") {
		t.Fatalf("condition that never holds: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Until(ctx, 5*time.Second, "cancelled", func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}
