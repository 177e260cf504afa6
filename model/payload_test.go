package model

import "testing"

// Event payloads are byte-for-byte Sentinel's (sentinelEvent's "%@" form):
// clients and scripts parse them by position.
func TestEventPayloads(t *testing.T) {
	m := Addr{Host: "10.0.0.1", Port: 6379}
	for _, tc := range []struct{ got, want string }{
		{MasterPayload("mymaster", m), "master mymaster 10.0.0.1 6379"},
		{ReplicaPayload(Addr{Host: "10.0.0.2", Port: 6380}, "mymaster", m), "slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379"},
		{ReplicaPayload(Addr{Host: "::1", Port: 6380}, "m", Addr{Host: "::1", Port: 6379}), "slave [::1]:6380 ::1 6380 @ m ::1 6379"},
		{ReplicaPayload(Addr{Host: "redis-1.example", Port: 6380}, "m", Addr{Host: "redis-0.example", Port: 6379}), "slave redis-1.example:6380 redis-1.example 6380 @ m redis-0.example 6379"},
	} {
		if tc.got != tc.want {
			t.Errorf("payload %q, want %q", tc.got, tc.want)
		}
	}
}
