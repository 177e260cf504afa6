package policy

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

func ptr(s string) *string { return &s }

func TestEffectiveLink(t *testing.T) {
	base := Link{User: "ru", Pass: "rp", Rename: map[string]string{"config": "CFG"}}
	for _, tc := range []struct {
		name string
		o    LinkOverride
		want Link
	}{
		{"none", LinkOverride{}, base},
		{"pass and a rename", LinkOverride{Pass: ptr("secret"), Rename: map[string]string{"ping": "PONG"}},
			Link{User: "ru", Pass: "secret", Rename: map[string]string{"config": "CFG", "ping": "PONG"}}},
		{"empty pass, command renamed to itself", LinkOverride{User: ptr("u"), Pass: ptr(""), Rename: map[string]string{"config": "config"}},
			Link{User: "u", Pass: "", Rename: map[string]string{}}},
	} {
		got := EffectiveLink(base, tc.o)
		if got.User != tc.want.User || got.Pass != tc.want.Pass || len(got.Rename) != len(tc.want.Rename) ||
			(len(got.Rename) > 0 && !reflect.DeepEqual(got.Rename, tc.want.Rename)) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if len(base.Rename) != 1 || base.Rename["config"] != "CFG" {
		t.Fatalf("the replicated map was changed: %v", base.Rename)
	}
}

func TestTargets(t *testing.T) {
	st := testState()
	st.Masters["a"].Created, st.Masters["b"].Created = 3, 4
	st.Masters["a"].AuthPass = "apass"
	st.Masters["a"].RenameCommands = map[string]string{"ping": "P"}
	st.Masters["b"].MasterRebootDownAfterPeriodMs = 1500
	var asked []string
	targets, live := Targets(st, func(master string, created uint64, l Link) Link {
		asked = append(asked, master)
		if master == "b" && created == 4 {
			l.User = "own" // this node's override
		}
		return EffectiveLink(l, LinkOverride{})
	})
	slices.Sort(asked)
	if !reflect.DeepEqual(live, map[string]uint64{"a": 3, "b": 4}) || !reflect.DeepEqual(asked, []string{"a", "b"}) {
		t.Fatalf("live %v, asked %v", live, asked)
	}
	want := []view.Target{
		{Master: "a", Addr: "127.0.0.1:7000", IsMaster: true, DownAfter: 5 * time.Second, AuthPass: "apass", Rename: map[string]string{"ping": "P"}},
		{Master: "a", Addr: "127.0.0.1:7001", DownAfter: 5 * time.Second, AuthPass: "apass", Rename: map[string]string{"ping": "P"}},
		{Master: "b", Addr: "127.0.0.1:7010", IsMaster: true, DownAfter: 5 * time.Second, AuthUser: "own", RebootDownAfter: 1500 * time.Millisecond},
		{Master: "b", Addr: "127.0.0.1:7011", DownAfter: 5 * time.Second, AuthUser: "own", RebootDownAfter: 1500 * time.Millisecond},
	}
	if !reflect.DeepEqual(targets, want) {
		t.Fatalf("targets\n%+v\nwant\n%+v", targets, want)
	}
	// The targets hold a copy of the rename map: the FSM changes the
	// state's in place.
	st.Masters["a"].RenameCommands["ping"] = "ping"
	if targets[0].Rename["ping"] != "P" {
		t.Fatal("a target shares the state's rename map")
	}
}

func TestPeerAuth(t *testing.T) {
	plain := testState()
	set := testState()
	if err := model.ApplyConfig(set, []string{"sentinel-user", "su", "sentinel-pass", "sp"}); err != nil {
		t.Fatal(err)
	}
	emptyPass := testState()
	if err := model.ApplyConfig(emptyPass, []string{"sentinel-pass", ""}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		st         *model.State
		user, pass string
	}{
		{"config file", plain, "cu", "cp"},
		{"SENTINEL CONFIG SET wins", set, "su", "sp"},
		{"no password: requirepass", emptyPass, "cu", "rq"},
	} {
		u, p := PeerAuth(tc.st, "cu", "cp", "rq")
		if u != tc.user || p != tc.pass {
			t.Errorf("%s: %s/%s, want %s/%s", tc.name, u, p, tc.user, tc.pass)
		}
	}
	if _, p := PeerAuth(plain, "", "", "rq"); p != "rq" {
		t.Errorf("no sentinel-pass anywhere: %q, want requirepass", p)
	}
	peers := Peers([]model.Member{{ID: "me", Addr: "a:1", Self: true}, {ID: "n2", Addr: "b:2"}}, "u", "p")
	if want := []view.PeerTarget{{ID: "n2", Addr: "b:2", AuthUser: "u", AuthPass: "p"}}; !reflect.DeepEqual(peers, want) {
		t.Fatalf("peers %+v", peers)
	}
}

// TargetCache asks for a master's link and builds its targets again only
// when a field they are made of changed, or when this node's link
// overrides moved (linkGen); its answer always equals Targets'.
func TestTargetCache(t *testing.T) {
	st := testState()
	var asked []string
	linkFor := func(master string, created uint64, l Link) Link {
		asked = append(asked, master)
		return EffectiveLink(l, LinkOverride{})
	}
	var c TargetCache
	check := func(step string, linkGen uint64, wantChanged bool, wantAsked ...string) {
		t.Helper()
		asked = nil
		got, live, changed := c.Update(st, linkGen, linkFor)
		slices.Sort(asked)
		want, wantLive := Targets(st, func(_ string, _ uint64, l Link) Link { return EffectiveLink(l, LinkOverride{}) })
		if changed != wantChanged || !slices.Equal(asked, wantAsked) {
			t.Fatalf("%s: changed %v, asked %v; want %v, %v", step, changed, asked, wantChanged, wantAsked)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(live, wantLive) {
			t.Fatalf("%s: targets %+v live %v\nwant %+v %v", step, got, live, want, wantLive)
		}
	}
	check("first", 0, true, "a", "b")
	check("nothing changed", 0, false)
	st.Masters["a"].Observations = map[string]model.Observation{"n1": {Down: true}}
	st.Masters["a"].ODown = true
	check("an observation and ODOWN", 0, false)
	st.Masters["b"].Replicas = append(st.Masters["b"].Replicas, model.Addr{Host: "127.0.0.1", Port: 7012})
	check("a replica added", 0, true, "b")
	st.Masters["a"].Addr = model.Addr{Host: "127.0.0.1", Port: 7001}
	st.Masters["a"].Replicas = []model.Addr{{Host: "127.0.0.1", Port: 7000}}
	check("a switch", 0, true, "a")
	st.Masters["a"].RenameCommands = map[string]string{"config": "CFG"}
	check("a rename", 0, true, "a")
	st.Masters["a"].RenameCommands["config"] = "CONFIG2" // the FSM changes the map in place
	check("the rename changed in place", 0, true, "a")
	st.Masters["b"].DownAfterMs = 3000
	check("down-after", 0, true, "b")
	check("this node's overrides moved", 1, true, "a", "b")
	st.Masters["c"] = st.Masters["b"].Clone()
	st.Masters["c"].Name = "c"
	delete(st.Masters, "b")
	check("one master removed and one added", 1, true, "c")
	delete(st.Masters, "c")
	check("a master removed", 1, true)
	check("nothing changed again", 1, false)
}
