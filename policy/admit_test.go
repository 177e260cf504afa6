package policy

import (
	"reflect"
	"testing"

	"github.com/raftinel/raftinel/model"
)

func TestAdmitSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    model.Entry
		want []SettingArg
	}{
		{"set: every option with its first value", &model.Set{Master: "m", Pairs: []string{"notification-script", "/n.sh", "rename-command", "ping", "x", "quorum", "2"}},
			[]SettingArg{{"notification-script", "/n.sh"}, {"rename-command", "ping"}, {"quorum", "2"}}},
		{"pending set: like the set", &model.SetIf{Master: "m", Pairs: []string{"client-reconfig-script", "/r.sh"}, Expect: []string{"client-reconfig-script", ""}},
			[]SettingArg{{"client-reconfig-script", "/r.sh"}}},
		{"stops at an unknown option", &model.Set{Master: "m", Pairs: []string{"quorum", "2", "colour", "red", "notification-script", "/n.sh"}},
			[]SettingArg{{"quorum", "2"}}},
		{"stops at a missing value", &model.Set{Master: "m", Pairs: []string{"quorum", "2", "notification-script"}},
			[]SettingArg{{"quorum", "2"}}},
		{"stops at a short rename-command", &model.Set{Master: "m", Pairs: []string{"rename-command", "ping"}}, nil},
		{"monitor defaults are not checked", &model.Monitor{Master: "m", Pairs: []string{"notification-script", "/n.sh"}}, nil},
		{"config set", &model.ConfigSet{Pairs: []string{"sentinel-user", "u"}}, nil},
		{"a registered request", nil, nil},
	} {
		if got := AdmitSettings(tc.e); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestClientArgv(t *testing.T) {
	for _, tc := range []struct {
		name      string
		e         model.Entry
		kind, arg string
		want      []string
	}{
		{"monitor", &model.Monitor{Master: "m", Addr: model.Addr{Host: "::1", Port: 6379}, Quorum: 2, Pairs: []string{"down-after-milliseconds", "1"}}, "", "",
			[]string{"SENTINEL", "MONITOR", "m", "::1", "6379", "2"}},
		{"remove", &model.Remove{Master: "m"}, "", "", []string{"SENTINEL", "REMOVE", "m"}},
		{"set", &model.Set{Master: "m", Pairs: []string{"quorum", "3"}}, "", "", []string{"SENTINEL", "SET", "m", "quorum", "3"}},
		{"pending set", &model.SetIf{Master: "m", Pairs: []string{"quorum", "3"}, Expect: []string{"quorum", "2"}, Created: 4}, "", "",
			[]string{"SENTINEL", "SET", "m", "quorum", "3"}},
		{"reset", &model.Reset{Pattern: "m*"}, "", "", []string{"SENTINEL", "RESET", "m*"}},
		{"config set", &model.ConfigSet{Pairs: []string{"resolve-hostnames", "yes"}}, "", "", []string{"SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes"}},
		{"a node's own entry", &model.Observe{Master: "m", Down: true}, "", "", nil},
		{"a failover step", &model.FailoverEnd{Master: "m", Epoch: 2}, "", "", nil},
		{"registration", &model.RegisterNode{LogVersion: 2}, "", "", nil},
		{"failover request", nil, "failover", "m", []string{"SENTINEL", "FAILOVER", "m"}},
		{"raft add", nil, "raft-add", "127.0.0.1:26380", []string{"RAFT", "ADD", "127.0.0.1:26380"}},
		{"raft remove", nil, "raft-remove", "n2", []string{"RAFT", "REMOVE", "n2"}},
		{"raft transfer", nil, "raft-transfer-leadership", "", []string{"RAFT", "TRANSFER-LEADERSHIP"}},
		{"read barrier", nil, "sync", "", nil},
		{"an entry never reads kind", &model.Announce{Master: "m"}, "failover", "m", nil},
	} {
		if got := ClientArgv(tc.e, tc.kind, tc.arg); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
