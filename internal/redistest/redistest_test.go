package redistest

import "testing"

func TestStartSetReplicates(t *testing.T) {
	set := StartSet(t, 2)
	if got := set.Master.Role(); got != "master" {
		t.Fatalf("master role %q", got)
	}
	for _, r := range set.Replicas {
		if got := r.Role(); got != "slave" {
			t.Fatalf("replica role %q", got)
		}
	}
	// StartSet returns once every replica acknowledged a write: each
	// already holds it (a WAIT on its own fresh connection would have
	// returned before the stream started)
	for _, r := range set.Replicas {
		if got, err := r.Do("GET", "__redistest_warmup"); err != nil || got != "1" {
			t.Fatalf("replica %s warmup key %q err %v", r.Addr(), got, err)
		}
		info, err := r.Info("replication")
		if err != nil || info["slave_repl_offset"] == "0" || info["slave_repl_offset"] == "" {
			t.Fatalf("replica %s slave_repl_offset %q err %v", r.Addr(), info["slave_repl_offset"], err)
		}
	}
	info, err := set.Master.Info("replication")
	if err != nil || info["connected_slaves"] != "2" {
		t.Fatalf("connected_slaves %q err %v", info["connected_slaves"], err)
	}
	set.Master.Kill()
	if set.Master.Ping() == nil {
		t.Fatal("killed master still answers")
	}
	set.Master.Restart()
	if err := set.Master.Ping(); err != nil {
		t.Fatalf("restarted master: %v", err)
	}
}

func TestDoSeqUsesOneConnection(t *testing.T) {
	set := StartSet(t, 0)
	got, err := set.Master.DoSeq([]string{"CLIENT", "ID"}, []string{"CLIENT", "ID"})
	if err != nil || len(got) != 2 || got[0] != got[1] {
		t.Fatalf("two CLIENT ID on one DoSeq: %q err %v", got, err)
	}
	one, _ := set.Master.Do("CLIENT", "ID")
	if one == got[0] {
		t.Fatalf("a later Do shares the DoSeq connection id %q", one)
	}
	got, err = set.Master.DoSeq([]string{"NOSUCHCOMMAND"}, []string{"PING"})
	if err == nil || len(got) != 0 {
		t.Fatalf("DoSeq goes on after an error: %q err %v", got, err)
	}
}
