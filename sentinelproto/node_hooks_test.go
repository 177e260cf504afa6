package sentinelproto

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/view"
)

// In TILT, INFO says so and IS-MASTER-DOWN-BY-ADDR answers down=0 even for
// a master this node sees SDOWN (Sentinel's behaviour).
func TestTiltInInfoAndIsMasterDown(t *testing.T) {
	e := newEnv(t)
	var on atomic.Bool
	since := time.Now().Add(-3 * time.Second)
	e.srv.o.Tilt = func() (bool, time.Time) {
		if on.Load() {
			return true, since
		}
		return false, time.Time{}
	}
	c := e.dial()
	if got := c.do("INFO", "sentinel"); !strings.Contains(got, "sentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n") {
		t.Fatalf("INFO outside TILT: %q", got)
	}
	e.mon.set("mymaster", addrM.String(), func(v *view.Instance) { v.SDown = true })
	c.expect("*3\r\n:1\r\n$1\r\n*\r\n:0\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*")
	on.Store(true)
	if got := c.do("INFO", "sentinel"); !strings.Contains(got, "sentinel_masters:1\r\nsentinel_tilt:1\r\nsentinel_tilt_since_seconds:3\r\nsentinel_running_scripts:0\r\n") {
		t.Fatalf("INFO in TILT: %q", got)
	}
	c.expect("*3\r\n:0\r\n$1\r\n*\r\n:0\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*")
}

// The hello address follows Sentinel's rule and SENTINEL CONFIG SET.
func TestAnnounce(t *testing.T) {
	e := newEnv(t)
	if ip, port := e.srv.Announce(); ip != "" || port != 26379 {
		t.Fatalf("Announce = %q %d, want \"\" 26379", ip, port)
	}
	c := e.dial()
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "announce-ip", "10.1.2.3")
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "announce-port", "7000")
	if ip, port := e.srv.Announce(); ip != "10.1.2.3" || port != 7000 {
		t.Fatalf("Announce after CONFIG SET = %q %d", ip, port)
	}
	tls := newEnv(t, func(c *config.Config) { c.TLS.Port, c.TLS.Replication = 26380, true })
	if _, port := tls.srv.Announce(); port != 26380 {
		t.Fatalf("Announce with tls-replication = %d, want the tls-port", port)
	}
}
