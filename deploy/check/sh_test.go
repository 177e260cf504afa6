package check

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// shell runs scripts as a container image would.
type shell struct {
	name string
	path string // PATH for the script: where its commands are found
	sh   string // the sh binary
}

// busybox is the raftinel image's shell (Alpine): busybox sh, with every
// command the scripts use taken from busybox too, not from the host.
func busybox(t *testing.T) shell {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox is needed to run the init scripts as the Alpine image does: bash scripts/deps.sh installs it")
	}
	dir := t.TempDir()
	for _, applet := range []string{"sh", "sed", "od", "tr", "cat", "mv", "head", "chown"} {
		if err := os.Symlink(bb, filepath.Join(dir, applet)); err != nil {
			t.Fatal(err)
		}
	}
	return shell{name: "busybox sh", path: dir, sh: filepath.Join(dir, "sh")}
}

// debianSh is the redis image's shell: dash with coreutils (Debian), as on
// this machine.
func debianSh(t *testing.T) shell {
	t.Helper()
	sh, err := exec.LookPath("dash")
	if err != nil {
		t.Fatal("dash (Debian's /bin/sh) is needed to run the compose init script as the redis image does")
	}
	return shell{name: "dash", path: "/usr/bin:/bin", sh: sh}
}

// run runs `sh args...` with only env (and PATH) in the environment.
func (s shell) run(env map[string]string, args ...string) (string, error) {
	cmd := exec.Command(s.sh, args...)
	cmd.Env = []string{"PATH=" + s.path}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %v: %w: %s", s.name, args, err, out.String())
	}
	return out.String(), err
}
