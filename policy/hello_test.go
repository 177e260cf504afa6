package policy

import (
	"reflect"
	"testing"

	"github.com/raftinel/raftinel/view"
)

func TestHellos(t *testing.T) {
	st := testState()
	st.CurrentEpoch = 9
	st.Masters["b"].ConfigEpoch = 4
	got := Hellos(st, "myid", "", 26379)
	ha := view.Hello{Port: 26379, MyID: "myid", CurrentEpoch: 9, Master: "a", MasterIP: "127.0.0.1", MasterPort: 7000}
	hb := view.Hello{Port: 26379, MyID: "myid", CurrentEpoch: 9, Master: "b", MasterIP: "127.0.0.1", MasterPort: 7010, ConfigEpoch: 4}
	want := []HelloJob{
		{"a", "127.0.0.1:7000", ha}, {"a", "127.0.0.1:7001", ha},
		{"b", "127.0.0.1:7010", hb}, {"b", "127.0.0.1:7011", hb},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("hellos\n%+v\nwant\n%+v", got, want)
	}
}

func TestHelloNews(t *testing.T) {
	for _, tc := range []struct{ prev, cur, want string }{
		{"", "", ""},
		{"", "NOPERM", "refused"},
		{"NOPERM", "NOPERM", ""},
		{"NOPERM", "WRONGTYPE", "refused"},
		{"NOPERM", "", "recovered"},
	} {
		if got := HelloNews(tc.prev, tc.cur); got != tc.want {
			t.Errorf("%q -> %q: %q, want %q", tc.prev, tc.cur, got, tc.want)
		}
	}
}
