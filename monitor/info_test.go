package monitor

import (
	"reflect"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/view"
)

func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func TestParseInfo(t *testing.T) {
	defaults := view.Instance{MasterLastIOSec: -1, SlavePriority: 100, ReplicaAnnounced: true}
	tests := []struct {
		name string
		text string
		want func(v *view.Instance)
	}{
		{
			name: "master with new-form replicas",
			text: crlf("# Server", "redis_version:7.0.15", "run_id:aaaabbbbccccddddeeeeffff0000111122223333",
				"", "# Replication", "role:master", "connected_slaves:2",
				"slave0:ip=127.0.0.1,port=6380,state=online,offset=1234,lag=0",
				"slave1:ip=10.0.0.2,port=6381,state=wait_bgsave,offset=0,lag=3",
				"master_replid:3f1a", "master_repl_offset:1234"),
			want: func(v *view.Instance) {
				v.RunID = "aaaabbbbccccddddeeeeffff0000111122223333"
				v.Role = "master"
				v.ReplID = "3f1a"
				v.ReplOffset = 1234
				v.ConnectedReplicas = []view.ReplicaLine{
					{Host: "127.0.0.1", Port: 6380, State: "online", Offset: 1234, Lag: 0},
					{Host: "10.0.0.2", Port: 6381, State: "wait_bgsave", Offset: 0, Lag: 3},
				}
			},
		},
		{
			name: "old slave line form",
			text: crlf("role:master", "slave0:127.0.0.1,6380,online", "slave1:::1,6381,online", "slave2:10.0.0.9,7000"),
			want: func(v *view.Instance) {
				v.Role = "master"
				v.ConnectedReplicas = []view.ReplicaLine{
					{Host: "127.0.0.1", Port: 6380, State: "online"},
					{Host: "::1", Port: 6381, State: "online"},
					{Host: "10.0.0.9", Port: 7000},
				}
			},
		},
		{
			name: "replica link up",
			text: crlf("role:slave", "master_host:127.0.0.1", "master_port:6379", "master_link_status:up",
				"master_last_io_seconds_ago:2", "master_sync_in_progress:0", "slave_repl_offset:999",
				"slave_priority:10", "slave_read_only:1", "replica_announced:1", "master_replid:abc", "master_repl_offset:999"),
			want: func(v *view.Instance) {
				v.Role = "slave"
				v.MasterHost = "127.0.0.1"
				v.MasterPort = 6379
				v.MasterLinkUp = true
				v.MasterLastIOSec = 2
				v.SlaveReplOffset = 999
				v.SlavePriority = 10
				v.ReplID = "abc"
				v.ReplOffset = 999
			},
		},
		{
			name: "replica link down, replica_priority, not announced",
			text: crlf("role:slave", "master_host:redis-0.svc", "master_port:6379", "master_link_status:down",
				"master_link_down_since_seconds:17", "replica_priority:0", "replica_announced:0"),
			want: func(v *view.Instance) {
				v.Role = "slave"
				v.MasterHost = "redis-0.svc"
				v.MasterPort = 6379
				v.MasterLinkDownSinceSec = 17
				v.SlavePriority = 0
				v.ReplicaAnnounced = false
			},
		},
		{
			name: "LF only line ends",
			text: "run_id:x\nrole:master\n",
			want: func(v *view.Instance) { v.RunID = "x"; v.Role = "master" },
		},
		{
			name: "missing fields give defaults",
			text: crlf("# Replication"),
			want: func(v *view.Instance) {},
		},
		{
			name: "garbage",
			text: "\x00\xff:::\r\nrole:emperor\r\nslave0:ip=,port=1\r\nslave1:ip=1.2.3.4,port=notaport\r\n" +
				"slavex:ip=1.2.3.4,port=1\r\nslave2:?,0,online\r\nslave3:ip=1.2.3.4,port=70000\r\n" +
				"slave_priority:high\r\nmaster_port:-\r\nmaster_last_io_seconds_ago:x\r\nnocolon\r\n:\r\n",
			want: func(v *view.Instance) {},
		},
		{
			name: "empty",
			text: "",
			want: func(v *view.Instance) {},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := defaults
			tc.want(&want)
			want.InfoText = tc.text
			// Start from a dirty view: every INFO field must be reset.
			got := view.Instance{RunID: "old", Role: "slave", MasterLinkUp: true, SlavePriority: 5,
				ConnectedReplicas: []view.ReplicaLine{{Host: "x", Port: 1}}, Addr: "keep:1", SDown: true}
			ParseInfo(tc.text, &got)
			if got.Addr != "keep:1" || !got.SDown {
				t.Fatalf("ParseInfo touched non-INFO fields: %+v", got)
			}
			got.Addr, got.SDown = "", false
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ParseInfo:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestReplicaLineAddr(t *testing.T) {
	for _, tc := range []struct {
		r    view.ReplicaLine
		want string
	}{
		{view.ReplicaLine{Host: "127.0.0.1", Port: 6380}, "127.0.0.1:6380"},
		{view.ReplicaLine{Host: "::1", Port: 6380}, "[::1]:6380"},
		{view.ReplicaLine{Host: "redis-1.ns", Port: 1}, "redis-1.ns:1"},
	} {
		if got := tc.r.Addr(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}
