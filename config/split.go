package config

import (
	"errors"
	"strings"
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
	// at mimics C's view of the string: 0 past its end. Safe because the
	// line has no NUL of its own.
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	args := []string{}
	p := 0
	for {
		for p < len(line) && isCSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return args, nil
		}
		var cur strings.Builder
		inDouble, inSingle, done := false, false, false
		for !done {
			c := at(p)
			switch {
			case inDouble:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					cur.WriteByte(unhex(at(p+2))<<4 | unhex(at(p+3)))
					p += 3
				case c == '\\' && at(p+1) != 0:
					p++
					cur.WriteByte(unescape(at(p)))
				case c == '"':
					if n := at(p + 1); n != 0 && !isCSpace(n) {
						return nil, errUnbalanced
					}
					done = true
				case c == 0:
					return nil, errUnbalanced
				default:
					cur.WriteByte(c)
				}
			case inSingle:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					cur.WriteByte('\'')
				case c == '\'':
					if n := at(p + 1); n != 0 && !isCSpace(n) {
						return nil, errUnbalanced
					}
					done = true
				case c == 0:
					return nil, errUnbalanced
				default:
					cur.WriteByte(c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					cur.WriteByte(c)
				}
			}
			if at(p) != 0 {
				p++
			}
		}
		args = append(args, cur.String())
	}
}

// isCSpace is C's isspace in the "C" locale.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
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
