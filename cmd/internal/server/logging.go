package server

import (
	"io"
	"os"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/raftinel/raftinel/node"
)

// reopenFile is a log file that SIGHUP reopens (logrotate moves the old one).
type reopenFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func openLog(path string) (*reopenFile, error) {
	r := &reopenFile{path: path}
	return r, r.Reopen()
}

func (r *reopenFile) Reopen() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	r.mu.Lock()
	old := r.f
	r.f = f
	r.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

func (r *reopenFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Write(p)
}

func (r *reopenFile) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Sync()
}

// newLogger writes to logfile, or stderr when it is empty, at a level that
// SENTINEL CONFIG SET loglevel can change (node.WithLogLevel).
func newLogger(logfile, level string, stderr io.Writer) (*zap.Logger, zap.AtomicLevel, *reopenFile, error) {
	lvl := zap.NewAtomicLevelAt(node.LogLevel(level))
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	var ws zapcore.WriteSyncer = zapcore.Lock(zapcore.AddSync(stderr))
	var rf *reopenFile
	if logfile != "" {
		var err error
		if rf, err = openLog(logfile); err != nil {
			return nil, lvl, nil, err
		}
		ws = rf
	}
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), ws, lvl)
	return zap.New(core), lvl, rf, nil
}
