//go:build linux

package monitor

import "container/heap"

// probeHeap orders probes by their next send (sends) or timer (timers).
type probeHeap []*probe

type probeHeapView struct {
	h    *probeHeap
	send bool
}

func (v probeHeapView) Len() int { return len(*v.h) }
func (v probeHeapView) Less(i, j int) bool {
	a, b := (*v.h)[i].ev, (*v.h)[j].ev
	if v.send {
		return a.nextSend.Before(b.nextSend)
	}
	return a.timerAt.Before(b.timerAt)
}
func (v probeHeapView) Swap(i, j int) {
	h := *v.h
	h[i], h[j] = h[j], h[i]
	v.setIdx(h[i], i)
	v.setIdx(h[j], j)
}
func (v probeHeapView) Push(x any) {
	p := x.(*probe)
	v.setIdx(p, len(*v.h))
	*v.h = append(*v.h, p)
}
func (v probeHeapView) Pop() any {
	old := *v.h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	v.setIdx(p, -1)
	*v.h = old[:len(old)-1]
	return p
}

func (v probeHeapView) setIdx(p *probe, i int) {
	if v.send {
		p.ev.sendIdx = i
	} else {
		p.ev.timerIdx = i
	}
}

func (v probeHeapView) idx(p *probe) int {
	if v.send {
		return p.ev.sendIdx
	}
	return p.ev.timerIdx
}

func (h *probeHeap) push(p *probe, send bool) { heap.Push(probeHeapView{h, send}, p) }

func (h *probeHeap) remove(p *probe, send bool) {
	v := probeHeapView{h, send}
	if i := v.idx(p); i >= 0 {
		heap.Remove(v, i)
	}
}
