package config

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Reasons shared by several directives, in Redis's wording.
const (
	reasonBadDirective = "Bad directive or wrong number of arguments"
	reasonArgCount     = "wrong number of arguments"
)

// Load reads the config file at path, then applies the command-line
// overrides in args (see Parse). raftinel only reads the file; it need not
// be writable.
func Load(path string, args []string) (*Config, error) {
	if path == "" {
		return nil, ErrNoConfigFile
	}
	data, err := os.ReadFile(path)
	if err != nil {
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error() // the path is already in Error.File
		}
		return nil, &Error{File: path, Reason: "can't open config file: " + reason, Err: err}
	}
	return Parse(bytes.NewReader(data), path, args)
}

// Parse reads a config from r (file names it in errors) and then applies
// command-line overrides, Redis style: each "--name" argument starts a new
// config line "name value...", taking the arguments up to the next "--name"
// as its values, and these lines are processed after the file's. A bare
// "--sentinel" only selects Sentinel mode and adds nothing.
//
// Server and raftinel directives are applied in order (for single-valued
// ones the last wins); `sentinel` lines are then applied in Sentinel's three
// passes. Every error returned is an *Error; an empty file name is shown as
// "(config)".
func Parse(r io.Reader, file string, args []string) (*Config, error) {
	if file == "" {
		file = "(config)"
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{File: file, Reason: "can't read config: " + err.Error(), Err: err}
	}
	p := newParser(file)
	if e := p.readFile(file, string(data)); e != nil {
		return nil, e
	}
	lines, e := commandLineLines(args)
	if e != nil {
		return nil, e
	}
	for _, l := range lines {
		if e := p.apply(l); e != nil {
			return nil, e
		}
	}
	if e := p.runSentinelPasses(); e != nil {
		return nil, e
	}
	if e := p.crossCheck(); e != nil {
		return nil, e
	}
	p.cfg.origins = p.seen
	return p.cfg, nil
}

// dupKey identifies a known replica or sentinel of one master.
type dupKey struct{ master, id string }

// line is one config line, from the file or built from the command line.
type line struct {
	file string
	num  int      // line number, or argument position for CommandLine
	text string   // the line as Redis would print it in its banner
	args []string // tokens; args[0] is the keyword as written
	seq  int      // order of application, for "which came last" questions
}

// parser carries the state of one Parse call.
type parser struct {
	cfg       *Config
	sentinel  [3][]*line       // queued `sentinel` lines per pass
	masters   map[string]int   // master name -> index in cfg.Masters
	users     map[string]bool  // `user` names seen, to refuse duplicates
	replicas  map[dupKey]bool  // known replicas per master, to refuse duplicates
	sentinels map[dupKey]bool  // known sentinel run ids per master
	seen      map[string]*line // last line of each server/raftinel directive
	seq       int
	current   *line // the sentinel line being applied, for Master.Line
}

func newParser(file string) *parser {
	cfg := Default()
	cfg.File = file
	return &parser{
		cfg:       cfg,
		masters:   map[string]int{},
		users:     map[string]bool{},
		replicas:  map[dupKey]bool{},
		sentinels: map[dupKey]bool{},
		seen:      map[string]*line{},
	}
}

// readFile splits the file like Redis's loadServerConfigFromString: lines
// are trimmed of " \t\r\n", and blank lines and lines starting with '#' are
// skipped (a '#' later in a line is an ordinary character).
func (p *parser) readFile(file, data string) *Error {
	for i, raw := range strings.Split(data, "\n") {
		text := strings.Trim(raw, " \t\r\n")
		if text == "" || text[0] == '#' {
			continue
		}
		l := &line{file: file, num: i + 1, text: text}
		args, err := SplitArgs(text)
		if err != nil {
			return l.fail(firstWord(text), err.Error())
		}
		if len(args) == 0 {
			continue
		}
		l.args = args
		if e := p.apply(l); e != nil {
			return e
		}
	}
	return nil
}

// apply handles one line: server and raftinel directives at once, sentinel
// directives queued for their pass.
func (p *parser) apply(l *line) *Error {
	p.seq++
	l.seq = p.seq
	kw := strings.ToLower(l.args[0])
	if kw == "sentinel" {
		// A bare `sentinel` only selects Sentinel mode (redis-server
		// handles it before reading the file); we always are in it.
		if len(l.args) > 1 {
			pass := sentinelPass(l.args[1])
			p.sentinel[pass] = append(p.sentinel[pass], l)
		}
		return nil
	}
	if h, ok := serverDirectives[kw]; ok {
		return p.run(l, l.args[0], h, l.args[1:])
	}
	if h, ok := raftinelDirectives[kw]; ok {
		return p.run(l, l.args[0], h, l.args[1:])
	}
	if reason, ok := unsupportedDirectives[kw]; ok {
		return l.fail(l.args[0], reason)
	}
	if arity, ok := ignoredDirectives[kw]; ok {
		if arity >= 0 && len(l.args)-1 != arity {
			return l.fail(l.args[0], reasonArgCount)
		}
		p.cfg.Ignored = append(p.cfg.Ignored, IgnoredDirective{File: l.file, Line: l.num, Directive: kw})
		return nil
	}
	return l.fail(l.args[0], reasonBadDirective)
}

// handler applies the values of one directive; it returns "" or a reason.
type handler func(p *parser, vals []string) string

func (p *parser) run(l *line, directive string, h handler, vals []string) *Error {
	if reason := h(p, vals); reason != "" {
		return l.fail(directive, reason)
	}
	p.seen[strings.ToLower(directive)] = l
	return nil
}

func (l *line) fail(directive, reason string) *Error {
	return &Error{File: l.file, Line: l.num, Directive: directive, Text: l.text, Reason: reason}
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}
