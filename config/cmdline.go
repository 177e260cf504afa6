package config

import (
	"strings"
)

// commandLineLines turns command-line overrides into config lines the way
// redis-server's main() does:
//
//   - "--name" starts a new line "name"; the arguments that follow, up to
//     the next "--name", are its values, taken literally (never re-split);
//   - right after a bare "--name" the next argument is always a value, even
//     if it starts with "--" (so `--requirepass --x--` sets that password),
//     except after "--sentinel" and "--save" as in Redis: "--sentinel"
//     followed by "--..." is a bare `sentinel` (mode only, ignored), and
//     "--save" followed by "--..." or at the end means `save ""`;
//   - "--name value" in one argument is split like a config line.
//
// Each line's num is the 1-based position of its "--name" argument, and its
// text is what Redis would print: the name, then each value quoted.
func commandLineLines(args []string) ([]*line, *Error) {
	type built struct {
		l     *line
		name  string // the "--name" argument without "--"
		nName int    // how many of l.args came from name
	}
	var lines []*built
	var cur *built
	lastTookName := true // Redis's handled_last_config_arg
	for j, a := range args {
		pos := j + 1
		if lastTookName && strings.HasPrefix(a, "--") {
			name := a[2:]
			l := &line{file: CommandLine, num: pos, text: strings.Trim(name, " \t\r\n")}
			toks, err := SplitArgs(name)
			if err != nil {
				return nil, l.fail(firstWord(name), err.Error())
			}
			if len(toks) == 0 {
				return nil, l.fail(a, "missing option name after '--'")
			}
			l.args = toks
			cur = &built{l: l, name: name, nName: len(toks)}
			lines = append(lines, cur)
			lastTookName = len(toks) > 1
			if len(toks) == 1 {
				nextIsName := j+1 < len(args) && strings.HasPrefix(args[j+1], "--")
				last := j+1 == len(args)
				switch {
				case strings.EqualFold(a, "--save") && (nextIsName || last):
					l.args = append(l.args, "")
					lastTookName = true
				case strings.EqualFold(a, "--sentinel") && nextIsName:
					lastTookName = true
				}
			}
			continue
		}
		if cur == nil {
			l := &line{file: CommandLine, num: pos, text: repr(a)}
			return nil, l.fail(a, "value without a preceding --option")
		}
		cur.l.args = append(cur.l.args, a)
		lastTookName = true
	}
	// Texts are built once here: appending per value would be quadratic.
	out := make([]*line, len(lines))
	for i, b := range lines {
		var text strings.Builder
		text.WriteString(b.name)
		for _, v := range b.l.args[b.nName:] {
			text.WriteByte(' ')
			text.WriteString(repr(v))
		}
		b.l.text = strings.Trim(text.String(), " \t\r\n")
		out[i] = b.l
	}
	return out, nil
}
