package model

import "testing"

// An observation names the master address it is about; one about an
// address a failover has replaced is ignored, so a node's "down" verdict
// on the old master never counts against the new one.
func TestApplyObservationOfReplacedAddressIgnored(t *testing.T) {
	st := NewState()
	mustApply(t, st, &Command{Op: OpMonitor, Master: "m", Addr: a(6379), Quorum: 2})
	mustApply(t, st, &Command{Op: OpObserve, Master: "m", Addr: a(6379), Node: "n1", Down: true})
	if !st.Masters["m"].Observations["n1"].Down {
		t.Fatal("an observation of the current address was not recorded")
	}
	st.Masters["m"].Addr = a(6380) // as a switch-master leaves it
	st.Masters["m"].Observations = nil
	mustApply(t, st, &Command{Op: OpObserve, Master: "m", Addr: a(6379), Node: "n2", Down: true})
	if _, ok := st.Masters["m"].Observations["n2"]; ok {
		t.Fatal("an observation of the replaced address was recorded against the new master")
	}
	// Entries written before observations named an address still apply.
	mustApply(t, st, &Command{Op: OpObserve, Master: "m", Node: "n3", Down: true})
	if !st.Masters["m"].Observations["n3"].Down {
		t.Fatal("an observation without an address was not recorded")
	}
}
