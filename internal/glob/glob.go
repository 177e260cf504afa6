// Package glob implements Redis's glob-style matching (stringmatchlen):
// `*`, `?`, `[abc]`, `[^a-z]` and `\` escapes. Used by PSUBSCRIBE, RESET
// and CONFIG GET, exactly where Redis uses it.
package glob

// Match reports whether s matches pattern, case-sensitively.
func Match(pattern, s string) bool {
	var skip bool
	return match(pattern, s, false, 0, &skip)
}

// MatchFold is Match ignoring ASCII case.
func MatchFold(pattern, s string) bool {
	var skip bool
	return match(pattern, s, true, 0, &skip)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// match follows Redis's stringmatchlen, including its skipLongerMatches
// rule: once an inner `*` has tried every suffix and failed, no outer `*`
// can succeed by feeding it a shorter string, so a hostile pattern
// ("*a*a*a...b") stays polynomial. depth bounds the recursion.
func match(p, s string, fold bool, depth int, skip *bool) bool {
	if depth > 1000 {
		return false
	}
	eq := func(a, b byte) bool {
		if fold {
			return lower(a) == lower(b)
		}
		return a == b
	}
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for i := 0; i < len(s); i++ {
				if match(p[1:], s[i:], fold, depth+1, skip) {
					return true
				}
				if *skip {
					return false
				}
			}
			*skip = true
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) == 0 {
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if eq(p[0], s[0]) {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end := p[0], p[2]
					if start > end {
						start, end = end, start
					}
					c := s[0]
					if fold {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else if eq(p[0], s[0]) {
					matched = true
				}
				p = p[1:]
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
			if len(p) == 0 {
				// unterminated class: Redis treats the end as ']'
				return len(s) == 0
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || !eq(p[0], s[0]) {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			return len(p) == 0
		}
	}
	return len(s) == 0
}
