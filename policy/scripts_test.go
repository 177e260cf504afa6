package policy

import (
	"reflect"
	"testing"

	"github.com/raftinel/raftinel/model"
)

func TestScripts(t *testing.T) {
	both := MasterScripts{Notification: "/n.sh", ClientReconfig: "/r.sh"}
	switchPayload := "mymaster 127.0.0.1 7000 127.0.0.1 7001"
	for _, tc := range []struct {
		name string
		e    model.Event
		sc   MasterScripts
		want [][]string
	}{
		{"warning event", model.Event{Master: "m", Channel: "+sdown", Payload: "master m 1.2.3.4 6379"}, both,
			[][]string{{"/n.sh", "+sdown", "master m 1.2.3.4 6379"}}},
		{"not a warning event", model.Event{Master: "m", Channel: "+slave-reconf-sent", Payload: "x"}, both, nil},
		{"no master", model.Event{Channel: "+tilt", Payload: "#tilt mode entered"}, both, nil},
		{"switch, observer", model.Event{Master: "m", Channel: "+switch-master", Payload: switchPayload}, both,
			[][]string{{"/n.sh", "+switch-master", switchPayload}, {"/r.sh", "mymaster", "observer", "start", "127.0.0.1", "7000", "127.0.0.1", "7001"}}},
		{"switch, leader, no notification", model.Event{Master: "m", Channel: "+switch-master", Payload: switchPayload},
			MasterScripts{ClientReconfig: "/r.sh", Leader: true},
			[][]string{{"/r.sh", "mymaster", "leader", "start", "127.0.0.1", "7000", "127.0.0.1", "7001"}}},
		{"malformed switch payload", model.Event{Master: "m", Channel: "+switch-master", Payload: "m 1 2"},
			MasterScripts{ClientReconfig: "/r.sh"}, nil},
		{"no scripts", model.Event{Master: "m", Channel: "+odown", Payload: "x"}, MasterScripts{}, nil},
	} {
		var got [][]string
		for _, r := range Scripts(tc.e, tc.sc) {
			want := NotificationScript
			if r.Path == "/r.sh" {
				want = ClientReconfigScript
			}
			if r.Option != want {
				t.Errorf("%s: %s runs as %s", tc.name, r.Path, r.Option)
			}
			got = append(got, r.Argv())
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestScriptsOf(t *testing.T) {
	m := &model.Master{Name: "m", Leader: "me"}
	m.NotificationScript, m.ClientReconfigScript = "/n.sh", "/r.sh"
	if got := ScriptsOf(m, "me", "/old.sh"); got != (MasterScripts{"/n.sh", "/r.sh", true}) {
		t.Errorf("monitored, led here: %+v", got)
	}
	if got := ScriptsOf(m, "other", ""); got.Leader {
		t.Errorf("led elsewhere: %+v", got)
	}
	if got := ScriptsOf(nil, "me", "/old.sh"); got != (MasterScripts{Notification: "/old.sh"}) {
		t.Errorf("-monitor: %+v", got)
	}
}

func TestScriptAllowed(t *testing.T) {
	for _, tc := range []struct {
		name      string
		r         ScriptRule
		exec, ok  bool
		askedExec bool
	}{
		{"own script", ScriptRule{Own: "/n.sh", Path: "/n.sh", Deny: true}, false, true, false},
		{"other script, deny", ScriptRule{Own: "/n.sh", Path: "/evil.sh", Deny: true}, true, false, false},
		{"other script, executable", ScriptRule{Own: "/n.sh", Path: "/x.sh"}, true, true, true},
		{"other script, not executable", ScriptRule{Path: "/x.sh"}, false, false, true},
		{"no own script, deny", ScriptRule{Path: "/x.sh", Deny: true}, true, false, false},
	} {
		asked := false
		tc.r.Executable = func() bool { asked = true; return tc.exec }
		ok, reason := ScriptAllowed(tc.r)
		if ok != tc.ok || (reason == "") != ok || asked != tc.askedExec {
			t.Errorf("%s: allowed %v (%q), executable asked %v", tc.name, ok, reason, asked)
		}
	}
}
