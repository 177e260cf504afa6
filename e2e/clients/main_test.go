//go:build e2e

package clients

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/raftinel/raftinel/internal/harness"
)

// bin is the raftinel binary under test (built with -race when the tests
// run with -race).
var bin string

// setupErr is why the script clients cannot run here (reported by their
// tests as a failure, never skipped).
var setupErr = map[string]error{}

// python is the Debian interpreter that has python3-redis.
const python = "/usr/bin/python3"

// nodeBin is the Node.js interpreter: RAFTINEL_NODE or node from PATH.
func nodeBin() string {
	if n := os.Getenv("RAFTINEL_NODE"); n != "" {
		return n
	}
	return "node"
}

func TestMain(m *testing.M) {
	harness.Main(m, raceEnabled, func(b string) {
		bin = b
		setupErr["node"] = npmCI()
		setupErr["python"] = checkPython()
	})
}

// npmCI installs the pinned Node.js packages when node_modules is missing.
func npmCI() error {
	if _, err := exec.LookPath(nodeBin()); err != nil {
		return fmt.Errorf("node not found (run scripts/deps.sh): %w", err)
	}
	if _, err := os.Stat("node_modules/ioredis/package.json"); err == nil {
		if _, err := os.Stat("node_modules/redis/package.json"); err == nil {
			return nil
		}
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return fmt.Errorf("npm not found (run scripts/deps.sh): %w", err)
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci: %w: %s", err, out)
	}
	return nil
}

func checkPython() error {
	if out, err := exec.Command(python, "-c", "import redis").CombinedOutput(); err != nil {
		return fmt.Errorf("%s cannot import redis (apt-get install -y python3-redis, or run scripts/deps.sh): %w: %s", python, err, out)
	}
	return nil
}
