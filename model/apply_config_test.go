package model

import (
	"errors"
	"testing"
)

func TestApplyConfig(t *testing.T) {
	st := NewState()
	if _, ok := st.ConfigValue("announce-hostnames"); ok {
		t.Fatal("nothing is set before a CONFIG SET")
	}
	cases := []struct {
		pairs   []string
		wantErr error
		msg     string
	}{
		{[]string{"announce-hostnames", "YES"}, nil, ""},
		{[]string{"sentinel-user", "Bob", "sentinel-pass", ""}, nil, ""},
		{[]string{"resolve-hostnames", "maybe"}, ErrInvalidSetting, "Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'"},
		{[]string{"announce-ip", "1.2.3.4"}, ErrUnknownSetting, "Invalid argument 'announce-ip' to SENTINEL CONFIG SET"},
		{[]string{"sentinel-user", "x", "foo", "y"}, ErrUnknownSetting, "Invalid argument 'foo' to SENTINEL CONFIG SET"},
		{[]string{"sentinel-user"}, ErrInvalidSetting, "Invalid number of arguments to SENTINEL CONFIG SET"},
	}
	for _, c := range cases {
		evs, _, err := Apply(st, &ConfigSet{Pairs: c.pairs})
		if !errors.Is(err, c.wantErr) || (err != nil && err.Error() != c.msg) || len(evs) != 0 {
			t.Errorf("%v: err %v evs %v", c.pairs, err, evs)
		}
	}
	want := map[string]string{"announce-hostnames": "yes", "sentinel-user": "Bob", "sentinel-pass": ""}
	for k, v := range want {
		if got, ok := st.ConfigValue(k); !ok || got != v {
			t.Errorf("%s = %q, %v", k, got, ok)
		}
	}
	if _, ok := st.ConfigValue("resolve-hostnames"); ok {
		t.Error("a refused pair must not be applied")
	}
	if st.Config["sentinel-user"] != "Bob" {
		t.Error("a refused command must not apply its valid pairs")
	}
}
