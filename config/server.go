package config

import (
	"fmt"
	"strings"
	"time"
)

// serverDirectives are the Redis server directives raftinel uses. Reasons
// are redis-server's own (config.c), so a bad value reads the same as in
// Redis.
var serverDirectives = map[string]handler{
	"port":             intValue(0, 65535, func(c *Config, v int64) { c.Port = int(v) }),
	"bind":             bindValue,
	"dir":              stringValue(func(c *Config, v string) { c.Dir = v }),
	"logfile":          stringValue(func(c *Config, v string) { c.LogFile = v }),
	"loglevel":         enumValue([]string{"debug", "verbose", "notice", "warning", "nothing"}, func(c *Config, v string) { c.LogLevel = v }),
	"daemonize":        boolValue(func(c *Config, v bool) { c.Daemonize = v }),
	"pidfile":          stringValue(func(c *Config, v string) { c.PidFile = v }),
	"protected-mode":   boolValue(func(c *Config, v bool) { c.ProtectedMode = v }),
	"requirepass":      stringValue(func(c *Config, v string) { c.RequirePass = v }),
	"user":             userValue,
	"aclfile":          stringValue(func(c *Config, v string) { c.ACLFile = v }),
	"maxclients":       intValue(1, 4294967295, func(c *Config, v int64) { c.MaxClients = int(v) }),
	"timeout":          intValue(0, 2147483647, func(c *Config, v int64) { c.Timeout = time.Duration(v) * time.Second }),
	"bind-source-addr": stringValue(func(c *Config, v string) { c.BindSourceAddr = v }),
	"rename-command":   renameCommandValue,
	"syslog-enabled":   boolValue(func(c *Config, v bool) { c.SyslogEnabled = v }),
	"syslog-ident":     stringValue(func(c *Config, v string) { c.SyslogIdent = v }),
	"syslog-facility": enumValue([]string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"},
		func(c *Config, v string) { c.SyslogFacility = v }),

	"tls-port":                  intValue(0, 65535, func(c *Config, v int64) { c.TLS.Port = int(v) }),
	"tls-cert-file":             stringValue(func(c *Config, v string) { c.TLS.CertFile = v }),
	"tls-key-file":              stringValue(func(c *Config, v string) { c.TLS.KeyFile = v }),
	"tls-key-file-pass":         stringValue(func(c *Config, v string) { c.TLS.KeyFilePass = v }),
	"tls-client-cert-file":      stringValue(func(c *Config, v string) { c.TLS.ClientCertFile = v }),
	"tls-client-key-file":       stringValue(func(c *Config, v string) { c.TLS.ClientKeyFile = v }),
	"tls-client-key-file-pass":  stringValue(func(c *Config, v string) { c.TLS.ClientKeyFilePass = v }),
	"tls-ca-cert-file":          stringValue(func(c *Config, v string) { c.TLS.CACertFile = v }),
	"tls-ca-cert-dir":           stringValue(func(c *Config, v string) { c.TLS.CACertDir = v }),
	"tls-auth-clients":          enumValue([]string{"no", "yes", "optional"}, func(c *Config, v string) { c.TLS.AuthClients = v }),
	"tls-protocols":             stringValue(func(c *Config, v string) { c.TLS.Protocols = v }),
	"tls-ciphers":               stringValue(func(c *Config, v string) { c.TLS.Ciphers = v }),
	"tls-ciphersuites":          stringValue(func(c *Config, v string) { c.TLS.Ciphersuites = v }),
	"tls-prefer-server-ciphers": boolValue(func(c *Config, v bool) { c.TLS.PreferServerCiphers = v }),
	"tls-replication":           boolValue(func(c *Config, v bool) { c.TLS.Replication = v }),
}

// intValue is a Redis numeric config: one argument, string2ll syntax,
// inclusive bounds.
func intValue(lo, hi int64, set func(*Config, int64)) handler {
	return func(p *parser, vals []string) string {
		if len(vals) != 1 {
			return reasonArgCount
		}
		v, ok := parseRedisInt(vals[0])
		if !ok {
			return "argument couldn't be parsed into an integer"
		}
		if v < lo || v > hi {
			return fmt.Sprintf("argument must be between %d and %d inclusive", lo, hi)
		}
		set(p.cfg, v)
		return ""
	}
}

// boolValue is a Redis yes/no config.
func boolValue(set func(*Config, bool)) handler {
	return func(p *parser, vals []string) string {
		if len(vals) != 1 {
			return reasonArgCount
		}
		v, ok := parseYesNo(vals[0])
		if !ok {
			return "argument must be 'yes' or 'no'"
		}
		set(p.cfg, v)
		return ""
	}
}

// stringValue is a Redis string config; "" is a valid value (it usually
// means "none", e.g. logfile "" = log to the standard stream).
func stringValue(set func(*Config, string)) handler {
	return func(p *parser, vals []string) string {
		if len(vals) != 1 {
			return reasonArgCount
		}
		set(p.cfg, vals[0])
		return ""
	}
}

// enumValue is a Redis enum config (case-insensitive, stored lower-case).
func enumValue(names []string, set func(*Config, string)) handler {
	return func(p *parser, vals []string) string {
		if len(vals) != 1 {
			return reasonArgCount
		}
		for _, n := range names {
			if strings.EqualFold(vals[0], n) {
				set(p.cfg, n)
				return ""
			}
		}
		return "argument(s) must be one of the following: " + strings.Join(names, ", ")
	}
}

// bindValue replaces the bind list (Redis: one line, up to 16 addresses).
// Addresses are kept as written, including Redis's "-" prefix for optional
// ones and "*" wildcards; `bind ""` restores the default (all interfaces).
func bindValue(p *parser, vals []string) string {
	if len(vals) == 0 {
		return reasonArgCount
	}
	if len(vals) > 16 {
		return "Too many bind addresses specified."
	}
	if len(vals) == 1 && vals[0] == "" {
		p.cfg.Bind = nil
		return ""
	}
	for _, v := range vals {
		a := strings.TrimPrefix(v, "-")
		if a != "*" && a != "::*" && !isIPLiteral(a) && !isHostname(a) {
			return "invalid bind address " + quote(v) + ": not an IP address or a host name"
		}
	}
	p.cfg.Bind = append([]string(nil), vals...)
	return ""
}

// userValue keeps an ACL `user` line for the RESP server to apply. The
// rules are not checked here (that is ACL's job); a duplicate user is
// refused as Redis does.
func userValue(p *parser, vals []string) string {
	if len(vals) == 0 {
		return reasonBadDirective
	}
	if p.users[vals[0]] {
		return "Error in user declaration " + quote(vals[0]) +
			": Duplicate user found. A user can only be defined once in config files"
	}
	p.users[vals[0]] = true
	p.cfg.Users = append(p.cfg.Users, joinArgs(vals))
	return ""
}

// renameCommandValue is the server-level rename-command (renames the
// node's own commands). Renaming a command twice fails as in Redis, where
// the first rename removed the original name.
func renameCommandValue(p *parser, vals []string) string {
	if len(vals) != 2 {
		return reasonBadDirective
	}
	name := strings.ToLower(vals[0])
	if _, dup := p.cfg.RenameCommands[name]; dup {
		return "No such command in rename-command"
	}
	if p.cfg.RenameCommands == nil {
		p.cfg.RenameCommands = map[string]string{}
	}
	p.cfg.RenameCommands[name] = vals[1]
	return ""
}
