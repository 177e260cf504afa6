package config

import (
	"errors"
	"strings"
	"testing"
)

// mustParse parses text (file name "s.conf") with args and fails the test
// on any error.
func mustParse(t *testing.T, text string, args ...string) *Config {
	t.Helper()
	c, err := Parse(strings.NewReader(text), "s.conf", args)
	if err != nil {
		t.Fatalf("Parse(%q, %q): unexpected error: %v", text, args, err)
	}
	if c == nil {
		t.Fatalf("Parse(%q, %q): nil config without error", text, args)
	}
	return c
}

// mustFail parses text with args and returns the *Error it must produce.
func mustFail(t *testing.T, text string, args ...string) *Error {
	t.Helper()
	c, err := Parse(strings.NewReader(text), "s.conf", args)
	if err == nil {
		t.Fatalf("Parse(%q, %q): want error, got config %+v", text, args, c)
	}
	if c != nil {
		t.Fatalf("Parse(%q, %q): got both a config and error %v", text, args, err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse(%q, %q): error %T %v is not *Error", text, args, err, err)
	}
	return e
}

// errCase is one expected failure: where and why.
type errCase struct {
	name      string
	text      string
	args      []string
	line      int    // expected Error.Line
	directive string // expected Error.Directive
	reason    string // expected Error.Reason (exact)
}

func (tc errCase) check(t *testing.T) {
	t.Helper()
	e := mustFail(t, tc.text, tc.args...)
	if e.Reason != tc.reason {
		t.Errorf("reason = %q, want %q", e.Reason, tc.reason)
	}
	if e.Line != tc.line {
		t.Errorf("line = %d, want %d", e.Line, tc.line)
	}
	if e.Directive != tc.directive {
		t.Errorf("directive = %q, want %q", e.Directive, tc.directive)
	}
	// Cases with args expect the error on the command line; an error in
	// the file with overrides present is tested on its own.
	wantFile := "s.conf"
	if tc.args != nil {
		wantFile = CommandLine
	}
	if e.File != wantFile {
		t.Errorf("file = %q, want %q", e.File, wantFile)
	}
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, tc.check)
	}
}
