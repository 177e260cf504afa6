//go:build e2e

package monitor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// A caller that stops waiting for INFO (the failover engine refreshes with
// a few hundred ms) does not cost the command link its connection: the
// exchange finishes on the link's own deadline and the connection stays.
// Dropping it forced a re-dial, which no longer authenticates once the
// instance's password changed (Redis's suite, 03 "Sentinels (re)connection
// following SENTINEL SET mymaster auth-pass", failed that way under load).
func TestCallerDeadlineKeepsTheCommandLink(t *testing.T) {
	srv := redistest.Start(t)
	m := New(Config{MyID: testID}, newRecorder(), zap.NewNop())
	m.SetTargets([]view.Target{{Master: "m", Addr: srv.Addr(), IsMaster: true, DownAfter: 5 * time.Second}})
	run(t, m)
	waitHealthy(t, m, "m", srv.Addr())
	in, err := m.instance("m", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	dials := in.cmd.seq.Load()

	// Every client's commands wait 2 s; the refreshes give up after 100 ms.
	if _, err := srv.Do("CLIENT", "PAUSE", "2000", "ALL"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err = m.RefreshInfo(ctx, "m", srv.Addr())
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("refresh during the pause: %v, want the caller's deadline", err)
	}
	// A second caller does not wait behind the exchange longer than it wants.
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err = m.RefreshInfo(ctx, "m", srv.Addr())
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second refresh during the pause: %v, want the caller's deadline", err)
	}
	if in.cmd.pending.Load() == 0 {
		t.Fatal("the second caller returned only after the first exchange ended: it waited for the link, not for its own deadline")
	}
	// Once the pause ends, INFO works on the same connection.
	redistest.WaitFor(t, 5*time.Second, "INFO after the pause", func() bool {
		_, err := m.RefreshInfo(context.Background(), "m", srv.Addr())
		return err == nil
	})
	if got := in.cmd.seq.Load(); got != dials {
		t.Fatalf("the command link dialed %d more times: the caller's deadline cut its connection", got-dials)
	}
}
