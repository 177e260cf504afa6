// Package sdsargs is Redis's sdssplitargs, the one splitter of inline
// requests (resp) and of config lines (config), so that both mean what they
// mean to Redis.
package sdsargs

import "bytes"

// Split is Redis's sdssplitargs, which splits inline requests and config
// lines: blanks
// separate arguments; "double quotes" take \xHH and \n \r \t \b \a
// escapes, 'single quotes' only \'; a closing quote must end the argument.
// Like the C original it stops at a NUL byte (config refuses one first).
// ok is false for an unbalanced or wrongly closed quote.
func Split(line []byte) ([][]byte, bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	at := func(i int) byte { // the C string, NUL-terminated
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	isSpace := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	var args [][]byte
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return args, true
		}
		cur := []byte{}
		inq, insq := false, false
		for done := false; !done; p++ {
			c := at(p)
			switch {
			case inq && c == '\\' && at(p+1) == 'x' && IsHex(at(p+2)) && IsHex(at(p+3)):
				cur = append(cur, unhex(at(p+2))<<4|unhex(at(p+3)))
				p += 3
			case inq && c == '\\' && at(p+1) != 0:
				p++
				e := at(p)
				switch e {
				case 'n':
					e = '\n'
				case 'r':
					e = '\r'
				case 't':
					e = '\t'
				case 'b':
					e = '\b'
				case 'a':
					e = '\a'
				}
				cur = append(cur, e)
			case inq && c == '"', insq && c == '\'':
				if at(p+1) != 0 && !isSpace(at(p+1)) {
					return nil, false
				}
				done = true
			case (inq || insq) && c == 0:
				return nil, false
			case insq && c == '\\' && at(p+1) == '\'':
				p++
				cur = append(cur, '\'')
			case inq || insq:
				cur = append(cur, c)
			case c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0:
				done = true
			case c == '"':
				inq = true
			case c == '\'':
				insq = true
			default:
				cur = append(cur, c)
			}
		}
		args = append(args, cur)
	}
}

// IsHex reports whether c is a hexadecimal digit.
func IsHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
