//go:build !linux

package monitor

import (
	"context"
	"errors"
)

// Without epoll every probe has a goroutine of its own.

type pinger struct{}

type probeEv struct{}

func newPinger(*Monitor, context.Context) (*pinger, error) {
	return nil, errors.New("no pinger on this system")
}

func (pg *pinger) run()                   {}
func (pg *pinger) add(*probe)             {}
func (pg *pinger) remove(*probe)          {}
func (pg *pinger) settingsChanged(*probe) {}
func (pg *pinger) stop()                  {}
