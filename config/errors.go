package config

import (
	"errors"
	"strconv"
	"strings"
)

// ErrNoConfigFile is returned by Load without a path. Sentinel refuses to run
// without a config file; the message is Sentinel's, word for word.
var ErrNoConfigFile = errors.New("Sentinel needs config file on disk to save state. Exiting...")

// CommandLine is the File of errors found in command-line overrides; their
// Line is the 1-based position, in the args given to Load or Parse, of the
// `--name` argument that starts the offending line.
const CommandLine = "(command line)"

// Error is a fatal configuration error. Every error Parse returns is one.
type Error struct {
	File      string // config file path, or CommandLine
	Line      int    // 1-based line (or argument position); 0 = not tied to a line
	Directive string // as written, e.g. "sentinel monitor"
	Text      string // the offending line as Redis prints it
	Reason    string // Redis's wording where Redis has one
	Err       error  // underlying cause (read errors), for errors.Is
}

// Error renders one line: `<file>:<line>: '<directive>': <reason>`
// (`<file>: '<directive>': <reason>` for a directive at its default).
// Control characters are escaped so the message stays on one line.
func (e *Error) Error() string {
	if e.Line <= 0 {
		if e.Directive != "" {
			return oneLine(e.File) + ": '" + oneLine(e.Directive) + "': " + oneLine(e.Reason)
		}
		return oneLine(e.File) + ": " + oneLine(e.Reason)
	}
	return oneLine(e.File) + ":" + strconv.Itoa(e.Line) + ": '" +
		oneLine(e.Directive) + "': " + oneLine(e.Reason)
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Banner renders the block redis-server prints to stderr before exiting on a
// config error, so operators and scripts see what they know from Redis. The
// line is shown as Redis shows it (trimmed, otherwise raw); only a newline,
// which a command-line override could carry, is escaped. For CommandLine
// errors "line" is the argument position.
func (e *Error) Banner(version string) string {
	var b strings.Builder
	b.WriteString("\n*** FATAL CONFIG FILE ERROR (Redis ")
	b.WriteString(version)
	b.WriteString(") ***\n")
	if e.Line > 0 {
		b.WriteString("Reading the configuration file, at line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString("\n>>> '")
		b.WriteString(strings.ReplaceAll(e.Text, "\n", `\n`))
		b.WriteString("'\n")
	}
	b.WriteString(strings.ReplaceAll(e.Reason, "\n", `\n`))
	b.WriteString("\n")
	return b.String()
}

// oneLine escapes ASCII control characters as \xHH. Ordinary text (every
// line of a real config file) is returned unchanged.
func oneLine(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"
