package demo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// interactive shows the live view and runs the keys until q, Ctrl-C, the
// end of the input, or a signal.
func (s *session) interactive(ctx context.Context) error {
	in := s.o.In
	if in == nil {
		in = os.Stdin
	}
	raw := false
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if st, err := term.MakeRaw(int(f.Fd())); err == nil {
			raw = true
			defer term.Restore(int(f.Fd()), st)
		}
	}
	tty, height := false, 24
	if f, ok := s.o.Out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
		if _, h, err := term.GetSize(int(f.Fd())); err == nil && h > 0 {
			height = h
		}
		fmt.Fprint(f, ansiAltOn)
		defer fmt.Fprint(f, ansiAltOff)
	}
	if raw {
		s.say("ready: press a key")
	} else {
		s.say("ready: type a key and Enter")
	}
	keys := make(chan byte, 16)
	go readKeys(in, keys)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if s.waitReady(ctx, readyTimeout) == nil {
			s.mu.Lock()
			s.ready = true
			s.mu.Unlock()
		}
	}()

	var snapMu sync.Mutex
	snap := s.p.poll(300 * time.Millisecond)
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for pollCtx.Err() == nil {
			next := s.p.poll(300 * time.Millisecond)
			snapMu.Lock()
			snap = next
			snapMu.Unlock()
			select {
			case <-pollCtx.Done():
			case <-time.After(s.o.Refresh):
			}
		}
	}()
	busy := make(chan struct{}, 1)
	act := func(name string, f func() (string, error)) {
		select {
		case busy <- struct{}{}:
		default:
			s.say("busy: the previous action is still running")
			return
		}
		s.say("%s ...", name)
		go func() {
			defer func() { <-busy }()
			what, err := f()
			if err != nil {
				s.say("%s: %v", name, err)
				return
			}
			s.say("%s", what)
		}()
	}
	t := time.NewTicker(s.o.Refresh)
	defer t.Stop()
	for {
		snapMu.Lock()
		cur := snap
		snapMu.Unlock()
		s.draw(cur, tty, height)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case k, ok := <-keys:
			if !ok {
				return nil // end of input
			}
			switch k {
			case 'q', 'Q', 3, 4: // Ctrl-C and Ctrl-D in raw mode
				return nil
			case 'k':
				act("kill master", func() (string, error) { return s.timed("kill -9 of master", s.p.killMaster) })
			case 's':
				if s.p.isStopped() {
					act("SIGCONT", func() (string, error) { return s.p.contMaster(), nil })
				} else {
					act("SIGSTOP master", func() (string, error) {
						return s.timed("SIGSTOP of master", func() (string, error) { w, _, err := s.p.toggleStopMaster(); return w, err })
					})
				}
			case 'n':
				act("kill leader", s.p.killLeader)
			case 'r':
				act("restart", func() (string, error) { return s.p.restart(s.say) })
			case 'f':
				act("SENTINEL FAILOVER", func() (string, error) { return s.timed("SENTINEL FAILOVER", s.p.failover) })
			case '\r', '\n', ' ':
			default:
				s.say("unknown key %q: %s", k, keyHelp)
			}
		}
	}
}

// draw renders one frame.
func (s *session) draw(snap snapshot, tty bool, height int) {
	ok, errs, lastErr, v := s.client.stats()
	s.mu.Lock()
	sc := screen{snap: snap, status: s.status, result: s.result, pending: s.action, since: time.Since(s.actionAt), ready: s.ready,
		ok: ok, errs: errs, lastErr: lastErr, counter: v, dir: s.o.Dir, down: s.o.DownAfter, fo: s.o.FailoverTimeout,
		color: tty, height: height}
	s.mu.Unlock()
	sc.events = s.events.last(height)
	s.outMu.Lock()
	defer s.outMu.Unlock()
	fmt.Fprint(s.o.Out, frame(render(sc)))
}

// readKeys sends every byte read (a raw terminal sends one per key; a
// line-buffered input sends a line, every character of which is a key).
func readKeys(in io.Reader, keys chan<- byte) {
	defer close(keys)
	br := bufio.NewReader(in)
	for {
		b, err := br.ReadByte()
		if err != nil {
			return
		}
		keys <- b
	}
}
