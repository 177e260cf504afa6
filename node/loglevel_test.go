package node

import (
	"testing"

	"go.uber.org/zap"
	zapobs "go.uber.org/zap/zaptest/observer"
)

// SENTINEL CONFIG SET loglevel reaches the logger built with WithLogLevel:
// after each value, exactly the levels Redis would log come through.
func TestSetLogLevel(t *testing.T) {
	lvl := zap.NewAtomicLevelAt(LogLevel("notice"))
	core, logs := zapobs.New(lvl)
	log := zap.New(core)
	n := &Node{}
	WithLogLevel(lvl)(n)
	for _, tc := range []struct {
		level                  string
		debug, info, warn, err bool
	}{
		{"notice", false, true, true, true},
		{"debug", true, true, true, true},
		{"verbose", true, true, true, true},
		{"warning", false, false, true, true},
		{"nothing", false, false, false, false},
		{"NOTICE", false, true, true, true},
	} {
		n.setLogLevel(tc.level)
		logs.TakeAll()
		log.Debug("d")
		log.Info("i")
		log.Warn("w")
		log.Error("e")
		got := map[string]bool{}
		for _, e := range logs.TakeAll() {
			got[e.Message] = true
		}
		if got["d"] != tc.debug || got["i"] != tc.info || got["w"] != tc.warn || got["e"] != tc.err {
			t.Errorf("loglevel %s: logged %v", tc.level, got)
		}
	}
	// Without WithLogLevel the value is only stored (nothing to change).
	(&Node{}).setLogLevel("debug")
}
