package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/raftinel/raftinel/internal/harness"
)

// ErrMissingTool says which program is missing and how to install it.
var ErrMissingTool = errors.New("missing program")

// FindSentinel returns the redis-sentinel binary and its extra arguments:
// redis-sentinel when installed, else redis-server with --sentinel (the
// same program in another mode).
func FindSentinel() (string, []string, error) {
	if p, err := exec.LookPath("redis-sentinel"); err == nil {
		return p, nil, nil
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, []string{"--sentinel"}, nil
	}
	return "", nil, fmt.Errorf("%w: redis-sentinel (apt-get install -y redis-sentinel)", ErrMissingTool)
}

// FindBenchmark returns redis-benchmark's path.
func FindBenchmark() (string, error) {
	p, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return "", fmt.Errorf("%w: redis-benchmark (apt-get install -y redis-tools)", ErrMissingTool)
	}
	return p, nil
}

// BuildRaftinel compiles cmd/raftinel from this module into dir (which
// may be relative to the working directory), as the
// Dockerfile does (static, trimmed, stripped: the binary that is shipped,
// whose size shows in RSS), or with the race detector.
func BuildRaftinel(dir string, race bool) (string, error) {
	if race {
		return harness.Build(dir, true)
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the module")
	}
	out, err := filepath.Abs(filepath.Join(dir, "raftinel")) // go build runs in the module root
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./cmd/raftinel")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, b)
	}
	return out, nil
}
