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
