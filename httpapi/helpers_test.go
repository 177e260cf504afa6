package httpapi

func newTestHist() *histogram { return newHistogram(latencyBuckets) }

// histCount is the number of observations of h.
func histCount(h *histogram) uint64 {
	counts, _ := h.snapshot()
	var n uint64
	for _, c := range counts {
		n += c
	}
	return n
}
