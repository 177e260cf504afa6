package model

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a refusal decided by the FSM or by validation. Kind is one of the
// named errors (errors.Is works); Msg is the Redis reply text without the
// "ERR " prefix, exactly as Sentinel words it.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func refuse(kind error, format string, a ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, a...)}
}

// DefaultSettings are Sentinel's per-master defaults.
func DefaultSettings(quorum int) Settings {
	return Settings{Quorum: quorum, DownAfterMs: 30000, FailoverTimeoutMs: 180000, ParallelSyncs: 1}
}

// SettingArity returns how many values option takes in SENTINEL SET
// (rename-command takes two), or 0 for an unknown option.
func SettingArity(option string) int {
	switch strings.ToLower(option) {
	case "down-after-milliseconds", "failover-timeout", "parallel-syncs", "quorum",
		"master-reboot-down-after-period", "notification-script", "client-reconfig-script",
		"auth-pass", "auth-user":
		return 1
	case "rename-command":
		return 2
	}
	return 0
}

// SetArg is one option of SENTINEL SET's arguments with its values.
type SetArg struct {
	Option string
	Vals   []string // SettingArity(Option) of them, sharing the input's array
}

// SplitSet cuts SENTINEL SET's option/value arguments into options, left
// to right. It stops at the first unknown option or one short of values:
// bad is that option ("" when every option was well-formed).
func SplitSet(pairs []string) (args []SetArg, bad string) {
	for len(pairs) > 0 {
		n := SettingArity(pairs[0])
		if n == 0 || len(pairs) < 1+n {
			return args, pairs[0]
		}
		args = append(args, SetArg{Option: pairs[0], Vals: pairs[1 : 1+n : 1+n]})
		pairs = pairs[1+n:]
	}
	return args, ""
}

// IsLinkSetting reports a SENTINEL SET option that is each node's own: how
// the node talks to the master's instances (auth-user, auth-pass,
// rename-command), kept by the node as in Sentinel, not replicated.
func IsLinkSetting(option string) bool {
	switch strings.ToLower(option) {
	case "auth-user", "auth-pass", "rename-command":
		return true
	}
	return false
}

// ApplySetting validates one SENTINEL SET option and applies it to s.
// It is pure; checks that need I/O (scripts executable, deny-scripts-reconfig)
// are done by the caller before proposing. vals has SettingArity(option)
// elements.
func ApplySetting(s *Settings, option string, vals []string) error {
	opt := strings.ToLower(option)
	if SettingArity(opt) == 0 || len(vals) != SettingArity(opt) {
		return refuse(ErrUnknownSetting, "Unknown option or number of arguments for SENTINEL SET '%s'", option)
	}
	v := vals[0]
	positive := func(min int64) (int64, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min {
			return 0, refuse(ErrInvalidSetting, "Invalid argument '%s' for SENTINEL SET '%s'", v, option)
		}
		return n, nil
	}
	switch opt {
	case "down-after-milliseconds":
		n, err := positive(1)
		if err != nil {
			return err
		}
		s.DownAfterMs = n
	case "failover-timeout":
		n, err := positive(1)
		if err != nil {
			return err
		}
		s.FailoverTimeoutMs = n
	case "parallel-syncs":
		n, err := positive(1)
		if err != nil || n > 1<<30 {
			return refuse(ErrInvalidSetting, "Invalid argument '%s' for SENTINEL SET '%s'", v, option)
		}
		s.ParallelSyncs = int(n)
	case "quorum":
		n, err := positive(1)
		if err != nil || n > 1<<30 {
			return refuse(ErrInvalidSetting, "Invalid argument '%s' for SENTINEL SET '%s'", v, option)
		}
		s.Quorum = int(n)
	case "master-reboot-down-after-period":
		n, err := positive(0)
		if err != nil {
			return err
		}
		s.MasterRebootDownAfterPeriodMs = n
	case "notification-script":
		s.NotificationScript = v
	case "client-reconfig-script":
		s.ClientReconfigScript = v
	case "auth-pass":
		s.AuthPass = v
	case "auth-user":
		s.AuthUser = v
	case "rename-command":
		from, to := strings.ToLower(vals[0]), vals[1]
		if s.RenameCommands == nil {
			s.RenameCommands = map[string]string{}
		}
		if strings.EqualFold(from, to) {
			delete(s.RenameCommands, from)
		} else {
			s.RenameCommands[from] = to
		}
		if len(s.RenameCommands) == 0 {
			s.RenameCommands = nil
		}
	}
	return nil
}

// SettingEventValue is the value shown in a `+set` event (secrets masked).
func SettingEventValue(option string, vals []string) string {
	switch strings.ToLower(option) {
	case "auth-pass":
		return "******"
	}
	return strings.Join(vals, " ")
}

// SettingValue is the current value of the setting that SENTINEL SET
// option vals changes, in SET's argument form: one value, or for
// rename-command the command and its current name (itself when it is not
// renamed). ok is false for an unknown option or a wrong number of values.
func SettingValue(s Settings, option string, vals []string) (cur []string, ok bool) {
	opt := strings.ToLower(option)
	if SettingArity(opt) == 0 || len(vals) != SettingArity(opt) {
		return nil, false
	}
	i64 := func(n int64) []string { return []string{strconv.FormatInt(n, 10)} }
	switch opt {
	case "down-after-milliseconds":
		return i64(s.DownAfterMs), true
	case "failover-timeout":
		return i64(s.FailoverTimeoutMs), true
	case "parallel-syncs":
		return i64(int64(s.ParallelSyncs)), true
	case "quorum":
		return i64(int64(s.Quorum)), true
	case "master-reboot-down-after-period":
		return i64(s.MasterRebootDownAfterPeriodMs), true
	case "notification-script":
		return []string{s.NotificationScript}, true
	case "client-reconfig-script":
		return []string{s.ClientReconfigScript}, true
	case "auth-pass":
		return []string{s.AuthPass}, true
	case "auth-user":
		return []string{s.AuthUser}, true
	case "rename-command":
		from := strings.ToLower(vals[0])
		if to, renamed := s.RenameCommands[from]; renamed {
			return []string{from, to}, true
		}
		return []string{from, from}, true
	}
	return nil, false
}
