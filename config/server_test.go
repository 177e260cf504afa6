package config

import (
	"reflect"
	"testing"
	"time"
)

func TestServerDirectives(t *testing.T) {
	c := mustParse(t, `
port 29010
BIND 127.0.0.1 ::1
dir "/var/lib/sentinel"
logfile "/var/lib/sentinel/log.txt"
loglevel VERBOSE
daemonize yes
pidfile /run/s.pid
protected-mode yes
requirepass "s3cret pass"
user default on nopass ~* &* +@all
user alice on ">pass word" ~*
maxclients 50
timeout 30
bind-source-addr 10.0.0.1
syslog-enabled yes
syslog-ident sentinel
syslog-facility local3
rename-command CONFIG ""
tls-port 26380
tls-cert-file /tls/c.crt
tls-key-file /tls/c.key
tls-key-file-pass kp
tls-client-cert-file /tls/cc.crt
tls-client-key-file /tls/cc.key
tls-client-key-file-pass ckp
tls-ca-cert-file /tls/ca.crt
tls-ca-cert-dir /tls/ca
tls-auth-clients optional
tls-protocols "TLSv1.2 TLSv1.3"
tls-ciphers DEFAULT
tls-ciphersuites TLS_AES_128_GCM_SHA256
tls-prefer-server-ciphers yes
tls-replication yes
`)
	want := Default()
	want.File = "s.conf"
	want.Port = 29010
	want.Bind = []string{"127.0.0.1", "::1"}
	want.Dir = "/var/lib/sentinel"
	want.LogFile = "/var/lib/sentinel/log.txt"
	want.LogLevel = "verbose"
	want.Daemonize = true
	want.PidFile = "/run/s.pid"
	want.ProtectedMode = true
	want.RequirePass = "s3cret pass"
	want.Users = []string{"default on nopass ~* &* +@all", `alice on ">pass word" ~*`}
	want.MaxClients = 50
	want.Timeout = 30 * time.Second
	want.BindSourceAddr = "10.0.0.1"
	want.SyslogEnabled = true
	want.SyslogIdent = "sentinel"
	want.SyslogFacility = "local3"
	want.RenameCommands = map[string]string{"config": ""}
	want.TLS = TLS{
		Port: 26380, CertFile: "/tls/c.crt", KeyFile: "/tls/c.key", KeyFilePass: "kp",
		ClientCertFile: "/tls/cc.crt", ClientKeyFile: "/tls/cc.key", ClientKeyFilePass: "ckp",
		CACertFile: "/tls/ca.crt", CACertDir: "/tls/ca", AuthClients: "optional",
		Protocols: "TLSv1.2 TLSv1.3", Ciphers: "DEFAULT", Ciphersuites: "TLS_AES_128_GCM_SHA256",
		PreferServerCiphers: true, Replication: true,
	}
	c.origins = nil // where each line was: Errorf's business (TestErrorfNamesTheLine)
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	// The stored user line splits back into the tokens that were written.
	toks, err := SplitArgs(c.Users[1])
	if err != nil || !reflect.DeepEqual(toks, []string{"alice", "on", ">pass word", "~*"}) {
		t.Errorf("SplitArgs(Users[1]) = %q, %v", toks, err)
	}
}

func TestServerDefaults(t *testing.T) {
	c := mustParse(t, "# nothing but a comment\n\n   \n")
	want := Default()
	want.File = "s.conf"
	c.origins = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("empty file: got %+v, want defaults %+v", c, want)
	}
	if c.Port != 26379 || c.LogLevel != "notice" || c.MaxClients != 10000 || c.ProtectedMode || !c.DenyScriptsReconfig {
		t.Errorf("defaults differ from Sentinel's: %+v", c)
	}
}

func TestLastValueWins(t *testing.T) {
	c := mustParse(t, "port 1\nbind 10.0.0.1 10.0.0.2\nport 2\nbind 10.0.0.3\nlogfile /x\nlogfile \"\"\n")
	if c.Port != 2 || !reflect.DeepEqual(c.Bind, []string{"10.0.0.3"}) || c.LogFile != "" {
		t.Errorf("port=%d bind=%q logfile=%q", c.Port, c.Bind, c.LogFile)
	}
	if c := mustParse(t, "bind 10.0.0.1\nbind \"\"\n"); c.Bind != nil {
		t.Errorf(`bind "" should restore the default, got %q`, c.Bind)
	}
}

func TestIgnoredDirectives(t *testing.T) {
	c := mustParse(t, "hz 10\nlatency-tracking-info-percentiles 50 99 99.9\nsave \"\"\nsave 3600 1 300 100\nSUPERVISED systemd\nacllog-max-len 128\nenable-debug-command no\noom-score-adj no\n")
	var got []string
	for _, ig := range c.Ignored {
		got = append(got, ig.Directive)
		if ig.File != "s.conf" || ig.Line < 1 {
			t.Errorf("bad location %+v", ig)
		}
	}
	want := []string{"hz", "latency-tracking-info-percentiles", "save", "save", "supervised",
		"acllog-max-len", "enable-debug-command", "oom-score-adj"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Ignored = %q, want %q", got, want)
	}
	if c.Ignored[1].Line != 2 {
		t.Errorf("Ignored[1].Line = %d, want 2", c.Ignored[1].Line)
	}
}

func TestServerErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"unknown", "port 1\nfoo bar\n", nil, 2, "foo", "Bad directive or wrong number of arguments"},
		{"port arity", "port 1 2", nil, 1, "port", "wrong number of arguments"},
		{"port trailing comment", "port 26379 # comment", nil, 1, "port", "wrong number of arguments"},
		{"port not int", "port abc", nil, 1, "port", "argument couldn't be parsed into an integer"},
		{"port plus sign", "port +5", nil, 1, "port", "argument couldn't be parsed into an integer"},
		{"port leading zero", "port 007", nil, 1, "port", "argument couldn't be parsed into an integer"},
		{"port range", "port 70000", nil, 1, "port", "argument must be between 0 and 65535 inclusive"},
		{"port negative", "port -1", nil, 1, "port", "argument must be between 0 and 65535 inclusive"},
		{"tls-port", "tls-port x", nil, 1, "tls-port", "argument couldn't be parsed into an integer"},
		{"maxclients 0", "maxclients 0", nil, 1, "maxclients", "argument must be between 1 and 4294967295 inclusive"},
		{"timeout negative", "timeout -1", nil, 1, "timeout", "argument must be between 0 and 2147483647 inclusive"},
		{"loglevel", "loglevel x", nil, 1, "loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning, nothing"},
		{"syslog-facility", "syslog-facility x", nil, 1, "syslog-facility", "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, local5, local6, local7"},
		{"tls-auth-clients", "tls-auth-clients x", nil, 1, "tls-auth-clients", "argument(s) must be one of the following: no, yes, optional"},
		{"daemonize", "daemonize maybe", nil, 1, "daemonize", "argument must be 'yes' or 'no'"},
		{"protected-mode", "protected-mode 1", nil, 1, "protected-mode", "argument must be 'yes' or 'no'"},
		{"tls-replication", "tls-replication on", nil, 1, "tls-replication", "argument must be 'yes' or 'no'"},
		{"dir arity", "dir", nil, 1, "dir", "wrong number of arguments"},
		{"bind none", "bind", nil, 1, "bind", "wrong number of arguments"},
		{"bind too many", "bind 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 1.1.1.16 1.1.1.17",
			nil, 1, "bind", "Too many bind addresses specified."},
		{"bind bad address", "port 7000\nbind 127.0.0.1 999.1.1.1", nil, 2, "bind", "invalid bind address '999.1.1.1': not an IP address or a host name"},
		{"bind bad optional address", "bind -10.0.0.1.5", nil, 1, "bind", "invalid bind address '-10.0.0.1.5': not an IP address or a host name"},
		{"user alone", "user", nil, 1, "user", "Bad directive or wrong number of arguments"},
		{"user duplicate", "user default on nopass\nuser a on\nuser default off", nil, 3, "user",
			"Error in user declaration 'default': Duplicate user found. A user can only be defined once in config files"},
		{"rename-command arity", "rename-command CONFIG", nil, 1, "rename-command", "Bad directive or wrong number of arguments"},
		{"rename-command twice", "rename-command PING P\nrename-command ping Q", nil, 2, "rename-command", "No such command in rename-command"},
		{"aclfile with users", "user a on\naclfile /etc/users.acl\nport 1", nil, 2, "aclfile",
			"Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."},
		{"ignored arity", "hz", nil, 1, "hz", "wrong number of arguments"},
		{"ignored arity 2", "hz 10 20", nil, 1, "hz", "wrong number of arguments"},
		{"include", "include /etc/redis/common.conf", nil, 1, "include", "include is not supported by raftinel: put the included lines in this file."},
		{"replicaof", "replicaof 10.0.0.1 6379", nil, 1, "replicaof", "a Sentinel cannot be a replica (replicaof is not supported)."},
		{"loadmodule", "loadmodule /x.so", nil, 1, "loadmodule", "modules are not supported by raftinel."},
		{"module option", "mymod.option 1", nil, 1, "mymod.option", "Bad directive or wrong number of arguments"},
		{"keyword as written", "PoRt x", nil, 1, "PoRt", "argument couldn't be parsed into an integer"},
	})
}
