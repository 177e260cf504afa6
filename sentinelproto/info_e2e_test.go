//go:build e2e

package sentinelproto

import (
	"reflect"
	"testing"

	"github.com/raftinel/raftinel/internal/resptest"
)

// The sections and field names are those of redis-sentinel 7.0.15, plus
// raftinel_version and the Raft and Links sections.
func TestInfoFieldsMatchRedis(t *testing.T) {
	real := startRealSentinel(t)
	e := newEnv(t)
	rc := &rawConn{resptest.Dial(t, real)}
	rOrder, rKeys, _ := infoOf(t, rc, "everything")
	oOrder, oKeys, _ := infoOf(t, e.dial(), "everything")
	if !reflect.DeepEqual(append(rOrder, "Raft", "Links"), oOrder) {
		t.Fatalf("sections: redis %v, raftinel %v", rOrder, oOrder)
	}
	for _, sec := range rOrder {
		want := rKeys[sec]
		if sec == "Server" {
			want = append(want, "raftinel_version")
		}
		if sec == "Sentinel" {
			want = want[:len(want)-1] // master0 of a different setup
			oKeys[sec] = oKeys[sec][:len(oKeys[sec])-1]
		}
		if !reflect.DeepEqual(want, oKeys[sec]) {
			t.Errorf("# %s:\nredis    %v\nraftinel %v", sec, want, oKeys[sec])
		}
	}
	// The master map has the same 20 keys as a real (disconnected) master.
	rk, _ := mapOf(t, rc, "SENTINEL", "MASTER", "mymaster")
	ok, _ := mapOf(t, e.dial(), "SENTINEL", "MASTER", "mymaster")
	if !reflect.DeepEqual(rk, ok) {
		t.Fatalf("MASTER keys:\nredis    %v\nraftinel %v", rk, ok)
	}
}
