package node

import (
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// LogLevel maps Redis's loglevel names to zap's levels: debug and verbose
// are Debug, notice is Info, warning is Warn, nothing logs nothing.
func LogLevel(name string) zapcore.Level {
	switch strings.ToLower(name) {
	case "debug", "verbose":
		return zapcore.DebugLevel
	case "warning":
		return zapcore.WarnLevel
	case "nothing":
		return zapcore.FatalLevel + 1
	}
	return zapcore.InfoLevel
}

// WithLogLevel hands the node the level of the logger it is given, so that
// SENTINEL CONFIG SET loglevel changes it at run time (without it the
// value is only stored and shown).
func WithLogLevel(l zap.AtomicLevel) Option {
	return func(n *Node) { n.level = &l }
}

// setLogLevel applies a SENTINEL CONFIG SET loglevel.
func (n *Node) setLogLevel(name string) {
	if n.level != nil {
		n.level.SetLevel(LogLevel(name))
	}
}
