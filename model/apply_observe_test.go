package model

import "testing"

// An observation names the master address it is about; one about an
// address a failover has replaced is ignored, so a node's "down" verdict
// on the old master never counts against the new one.
func TestApplyObservationOfReplacedAddressIgnored(t *testing.T) {
	st := NewState()
	mustApply(t, st, &Monitor{Master: "m", Addr: a(6379), Quorum: 2})
	mustApply(t, st, &Observe{Header: Header{Node: "n1"}, Master: "m", Addr: a(6379), Down: true})
	if !st.Masters["m"].Observations["n1"].Down {
		t.Fatal("an observation of the current address was not recorded")
	}
	st.Masters["m"].Addr = a(6380) // as a switch-master leaves it
	st.Masters["m"].Observations = nil
	mustApply(t, st, &Observe{Header: Header{Node: "n2"}, Master: "m", Addr: a(6379), Down: true})
	if _, ok := st.Masters["m"].Observations["n2"]; ok {
		t.Fatal("an observation of the replaced address was recorded against the new master")
	}
	// Entries written before observations named an address still apply.
	mustApply(t, st, &Observe{Header: Header{Node: "n3"}, Master: "m", Down: true})
	if !st.Masters["m"].Observations["n3"].Down {
		t.Fatal("an observation without an address was not recorded")
	}
}
