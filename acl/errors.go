package acl

import (
	"errors"
	"fmt"
)

// Rule errors, worded as Redis's ACLSetUserStringError.
var (
	errSyntax           = errors.New("Syntax error")
	errUnknownCommand   = errors.New("Unknown command or category name in ACL")
	errAfterAllKeys     = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errAfterAllChannels = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errNoSuchPassword   = errors.New("The password you are trying to remove from the user does not exist")
	errBadHash          = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errFirstArgOfSub    = errors.New("Allowing first-arg of a subcommand is not supported")
)

// Errors of whole operations.
var (
	// ErrDefaultUser: ACL DELUSER default.
	ErrDefaultUser = errors.New("The 'default' user cannot be removed")
	// ErrUsernameSpaces: a user name with spaces or NUL.
	ErrUsernameSpaces = errors.New("Usernames can't contain spaces or null characters")
	// ErrUnknownRule wraps every rule error (errors.Is), for callers that
	// only need to know a rule was refused.
	ErrUnknownRule = errors.New("acl: rule refused")
)

// RuleError is a rule that could not be applied to a user.
type RuleError struct {
	Op  string // the rule as given
	Err error  // the reason (Redis's wording)
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("Error in ACL SETUSER modifier '%s': %s", e.Op, e.Err)
}

func (e *RuleError) Unwrap() []error { return []error{e.Err, ErrUnknownRule} }

// ParenError is a selector whose "(" is never closed.
type ParenError struct{ Op string }

func (e *ParenError) Error() string {
	return fmt.Sprintf("Unmatched parenthesis in acl selector starting at '%s'.", e.Op)
}
