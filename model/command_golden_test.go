package model

import (
	"errors"
	"reflect"
	"testing"
)

// The log format is fixed (LogVersion): entries already in Bolt logs and
// snapshots, and those a node of another release writes during a rolling
// upgrade, read the same. The fixtures are the bytes the entries' encoding
// produced before the typed commands (the 25-field Command union, main at
// 2cc99f2), for every op: each decodes to its typed entry and encodes back
// to the same bytes.
func TestEntryEncodingGolden(t *testing.T) {
	a := Addr{Host: "127.0.0.1", Port: 6380}
	b := Addr{Host: "::1", Port: 6379}
	h := Header{Node: "0123456789abcdef0123456789abcdef01234567", AtMs: 1700000000123, V: 1}
	h2 := h
	h2.V = 2
	ops := map[Op]bool{}
	for _, tc := range []struct {
		log  string
		want Entry
	}{
		{`{"v":1,"op":"seed","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","addr":{"host":"","port":0},"candidate":{"host":"","port":0},"seed":{"current_epoch":3,"masters":[{"name":"m","addr":{"host":"::1","port":6379},"quorum":2,"down_after_ms":30000,"failover_timeout_ms":180000,"parallel_syncs":1,"config_epoch":2,"replicas":[{"host":"127.0.0.1","port":6380}]}]}}`,
			&SeedConfig{Header: h, Seed: &Seed{CurrentEpoch: 3, Masters: []SeedMaster{{Name: "m", Addr: b, Settings: DefaultSettings(2), ConfigEpoch: 2, Replicas: []Addr{a}}}}}},
		{`{"v":1,"op":"monitor","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"::1","port":6379},"quorum":2,"candidate":{"host":"","port":0}}`,
			&Monitor{Header: h, Master: "m", Addr: b, Quorum: 2}},
		{`{"v":1,"op":"monitor","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"::1","port":6379},"quorum":2,"pairs":["down-after-milliseconds","5000"],"candidate":{"host":"","port":0}}`,
			&Monitor{Header: h, Master: "m", Addr: b, Quorum: 2, Pairs: []string{"down-after-milliseconds", "5000"}}},
		{`{"v":1,"op":"remove","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"candidate":{"host":"","port":0}}`,
			&Remove{Header: h, Master: "m"}},
		{`{"v":1,"op":"set","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"pairs":["quorum","3","rename-command","ping","x"],"candidate":{"host":"","port":0}}`,
			&Set{Header: h, Master: "m", Pairs: []string{"quorum", "3", "rename-command", "ping", "x"}}},
		{`{"v":2,"op":"set-if","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"pairs":["quorum","3"],"candidate":{"host":"","port":0},"expect":["quorum","2"],"created":7}`,
			&SetIf{Header: h2, Master: "m", Created: 7, Pairs: []string{"quorum", "3"}, Expect: []string{"quorum", "2"}}},
		{`{"v":1,"op":"reset","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","addr":{"host":"","port":0},"pattern":"m*","candidate":{"host":"","port":0}}`,
			&Reset{Header: h, Pattern: "m*"}},
		{`{"v":1,"op":"observe","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"::1","port":6379},"down":true,"candidate":{"host":"","port":0}}`,
			&Observe{Header: h, Master: "m", Addr: b, Down: true}},
		{`{"v":1,"op":"observe","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"::1","port":6379},"candidate":{"host":"","port":0}}`,
			&Observe{Header: h, Master: "m", Addr: b}},
		{`{"v":1,"op":"odown","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"down":true,"agreeing":2,"candidate":{"host":"","port":0}}`,
			&ODown{Header: h, Master: "m", Down: true, Agreeing: 2}},
		{`{"v":1,"op":"add-replica","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"127.0.0.1","port":6380},"candidate":{"host":"","port":0}}`,
			&AddReplica{Header: h, Master: "m", Addr: a}},
		{`{"v":1,"op":"failover-start","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"epoch":4,"candidate":{"host":"127.0.0.1","port":6380},"runid":"run1"}`,
			&FailoverStart{Header: h, Master: "m", Epoch: 4, Candidate: a, RunID: "run1"}},
		{`{"v":1,"op":"failover-start","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"epoch":4,"forced":true,"candidate":{"host":"127.0.0.1","port":6380},"runid":"run1"}`,
			&FailoverStart{Header: h, Master: "m", Epoch: 4, Forced: true, Candidate: a, RunID: "run1"}},
		{`{"v":1,"op":"failover-start","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"epoch":4,"candidate":{"host":"","port":0},"reason":"slave 127.0.0.1:6380: down"}`,
			&FailoverStart{Header: h, Master: "m", Epoch: 4, Reason: "slave 127.0.0.1:6380: down"}},
		{`{"v":1,"op":"failover-state","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"epoch":4,"state":"wait_promotion","candidate":{"host":"","port":0}}`,
			&FailoverState{Header: h, Master: "m", Epoch: 4, State: StateWaitPromotion}},
		{`{"v":1,"op":"switch-master","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"127.0.0.1","port":6380},"epoch":4,"candidate":{"host":"","port":0},"promotion":{"epoch":0,"addr":{"host":"","port":0},"runid":"run1","replid":"r","offset":99,"at_ms":0}}`,
			&SwitchMaster{Header: h, Master: "m", Epoch: 4, Addr: a, Promotion: &Promotion{RunID: "run1", ReplID: "r", Offset: 99}}},
		{`{"v":1,"op":"reconf","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"::1","port":6379},"epoch":4,"candidate":{"host":"","port":0},"phase":"sent"}`,
			&Reconf{Header: h, Master: "m", Epoch: 4, Addr: b, Phase: ReconfSent}},
		{`{"v":1,"op":"failover-end","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"epoch":4,"candidate":{"host":"","port":0},"timeout":true}`,
			&FailoverEnd{Header: h, Master: "m", Epoch: 4, Timeout: true}},
		{`{"v":1,"op":"failover-end","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"epoch":4,"candidate":{"host":"","port":0}}`,
			&FailoverEnd{Header: h, Master: "m", Epoch: 4}},
		{`{"v":1,"op":"failover-abort","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"epoch":4,"candidate":{"host":"","port":0},"reason":"not-elected"}`,
			&FailoverAbort{Header: h, Master: "m", Epoch: 4, Reason: "not-elected"}},
		{`{"v":1,"op":"announce","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","master":"m","addr":{"host":"","port":0},"candidate":{"host":"","port":0},"channel":"+fix-slave-config","payload":"slave 127.0.0.1:6380 127.0.0.1 6380 @ m ::1 6379"}`,
			&Announce{Header: h, Master: "m", Channel: "+fix-slave-config", Payload: ReplicaPayload(a, "m", b)}},
		{`{"v":1,"op":"node","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","addr":{"host":"::1","port":6379},"candidate":{"host":"","port":0},"log_version":2}`,
			&RegisterNode{Header: h, Addr: b, LogVersion: 2}},
		{`{"v":1,"op":"config","at":1700000000123,"node":"0123456789abcdef0123456789abcdef01234567","addr":{"host":"","port":0},"pairs":["resolve-hostnames","yes"],"candidate":{"host":"","port":0}}`,
			&ConfigSet{Header: h, Pairs: []string{"resolve-hostnames", "yes"}}},
		{`{"v":1,"op":"remove","master":"m","addr":{"host":"","port":0},"candidate":{"host":"","port":0}}`,
			&Remove{Header: Header{V: 1}, Master: "m"}},
	} {
		got, err := Decode([]byte(tc.log))
		if err != nil {
			t.Fatalf("%s: %v", tc.log, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Fatalf("%s decodes to %#v, want %#v", tc.log, got, tc.want)
		}
		again, err := Encode(got)
		if err != nil || string(again) != tc.log {
			t.Fatalf("re-encoded %s (%v), want %s", again, err, tc.log)
		}
		// Built by this node (V unset): Encode stamps the same version.
		fresh := reflect.New(reflect.TypeOf(tc.want).Elem()).Interface().(Entry)
		reflect.ValueOf(fresh).Elem().Set(reflect.ValueOf(tc.want).Elem())
		fresh.Head().V = 0
		if b, _ := Encode(fresh); string(b) != tc.log {
			t.Fatalf("built %T encodes to %s, want %s", fresh, b, tc.log)
		}
		ops[got.Op()] = true
	}
	for op := range decoders {
		if !ops[op] {
			t.Errorf("no fixture for op %q", op)
		}
	}
}

// What this build cannot apply exactly as written is refused, never
// skipped (consensus stops applying there).
func TestDecodeRefuses(t *testing.T) {
	for _, log := range []string{
		`{"v":3,"op":"remove","master":"m"}`,                 // a later version
		`{"v":1,"op":"rename","master":"m"}`,                 // an unknown op
		`{"v":1,"master":"m"}`,                               // no op
		`{"v":1,"op":"remove","master":"m","colour":"blue"}`, // an unknown field
		`{"v":1,"op":"monitor","master":"m","quorum":"2"}`,   // a field of the wrong type
		`{"v":1,"op":"remove","master":"m"} {"v":1}`,         // trailing data
		`{"v":1,"op":"remove"`,                               // truncated
		``,
	} {
		if e, err := Decode([]byte(log)); !errors.Is(err, ErrUnknownEntry) {
			t.Errorf("%q: %#v, %v; want ErrUnknownEntry", log, e, err)
		}
	}
	// A field of another op was always read and ignored; still so.
	e, err := Decode([]byte(`{"v":1,"op":"remove","master":"m","quorum":2}`))
	if err != nil || !reflect.DeepEqual(e, &Remove{Header: Header{V: 1}, Master: "m"}) {
		t.Fatalf("%#v, %v", e, err)
	}
	// An entry written before versions existed reads as version 1.
	e, err = Decode([]byte(`{"op":"remove","master":"m"}`))
	if err != nil || e.Head().V != 0 || Version(e) != 1 {
		t.Fatalf("%#v, %v", e, err)
	}
}
