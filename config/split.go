package config

import (
	"errors"
	"strings"

	"github.com/raftinel/raftinel/internal/sdsargs"
)

// Tokeniser errors; the parser turns them into Redis's reasons.
var (
	errUnbalanced = errors.New("Unbalanced quotes in configuration line")
	errNUL        = errors.New("NUL byte in configuration line")
)

// SplitArgs splits one config line into arguments exactly like Redis's
// sdssplitargs, so a line means the same thing to raftinel and to Redis:
//
//   - arguments are separated by spaces, tabs, CR or LF;
//   - "double quotes" allow \n \r \t \b \a \\ \" and \xHH escapes (any other
//     escaped character stands for itself);
//   - 'single quotes' are literal except for \' ;
//   - a quote may start in the middle of an argument (foo"bar baz" is one
//     argument, foobar baz), but a closing quote must be followed by a space
//     or the end of the line;
//   - an unterminated or wrongly closed quote is an error.
//
// A NUL byte is an error too: Redis reads the file as a C string and would
// silently cut the line there.
func SplitArgs(line string) ([]string, error) {
	if strings.IndexByte(line, 0) >= 0 {
		return nil, errNUL
	}
	raw, ok := sdsargs.Split([]byte(line))
	if !ok {
		return nil, errUnbalanced
	}
	args := make([]string, len(raw))
	for i, a := range raw {
		args[i] = string(a)
	}
	return args, nil
}

// repr quotes s like Redis's sdscatrepr: the form Redis uses when it turns
// command-line values into config lines. SplitArgs(repr(s)) == [s].
func repr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c <= 0x7e {
				b.WriteByte(c)
			} else {
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// joinArgs is the inverse of SplitArgs: plain arguments stay as they are,
// anything SplitArgs would read differently is quoted with repr.
func joinArgs(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a
		if needsQuoting(a) {
			parts[i] = repr(a)
		}
	}
	return strings.Join(parts, " ")
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' {
			return true
		}
	}
	return false
}
