package monitor

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/raftinel/raftinel/view"
)

func TestHelloFormat(t *testing.T) {
	h := view.Hello{IP: "10.0.0.1", Port: 26379, MyID: testID, CurrentEpoch: 7, Master: "mymaster", MasterIP: "10.0.0.9", MasterPort: 6379, ConfigEpoch: 5}
	s := h.String()
	if want := "10.0.0.1,26379," + testID + ",7,mymaster,10.0.0.9,6379,5"; s != want {
		t.Fatalf("String = %q, want %q", s, want)
	}
	back, err := view.ParseHello(s)
	if err != nil || back != h {
		t.Fatalf("ParseHello(%q) = %+v, %v", s, back, err)
	}
	if h.Addr() != "10.0.0.1:26379" {
		t.Fatalf("Addr = %q", h.Addr())
	}
	if a := (view.Hello{IP: "::1", Port: 1}).Addr(); a != "[::1]:1" {
		t.Fatalf("v6 Addr = %q", a)
	}
}

func TestParseHelloRefusesMalformed(t *testing.T) {
	ok := "127.0.0.1,26379," + testID + ",0,m,127.0.0.1,6379,0"
	if _, err := view.ParseHello(ok); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"", "garbage", ok + ",extra", strings.TrimSuffix(ok, ",0"),
		"127.0.0.1,0," + testID + ",0,m,127.0.0.1,6379,0",
		"127.0.0.1,70000," + testID + ",0,m,127.0.0.1,6379,0",
		"127.0.0.1,x," + testID + ",0,m,127.0.0.1,6379,0",
		"127.0.0.1,26379," + testID + ",-1,m,127.0.0.1,6379,0",
		"127.0.0.1,26379," + testID + ",0,m,127.0.0.1,6379,x",
		"127.0.0.1,26379," + testID + ",0,m,127.0.0.1,0,0",
		",26379," + testID + ",0,m,127.0.0.1,6379,0",
		"127.0.0.1,26379,,0,m,127.0.0.1,6379,0",
		"127.0.0.1,26379," + testID + ",0,,127.0.0.1,6379,0",
	} {
		if _, err := view.ParseHello(s); !errors.Is(err, view.ErrBadHello) {
			t.Errorf("ParseHello(%q) = %v, want ErrBadHello", s, err)
		}
	}
}

// helloSink collects hellos heard by a HelloLink.
type helloSink struct {
	mu sync.Mutex
	hs []view.Hello
}

func (s *helloSink) add(h view.Hello) { s.mu.Lock(); s.hs = append(s.hs, h); s.mu.Unlock() }

func (s *helloSink) find(f func(view.Hello) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hs {
		if f(h) {
			return true
		}
	}
	return false
}
