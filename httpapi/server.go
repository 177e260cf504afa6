// Package httpapi is a node's optional HTTP listener (the http-port
// directive): Prometheus metrics on /metrics, /healthz (the process is up),
// /readyz (the node is in contact with a Raft leader, so it serves
// addresses) and /v1/status (masters, replicas, flags and Raft state as
// JSON). It exists so that operators and orchestrators (Kubernetes probes,
// Prometheus, dashboards) can watch raftinel without speaking RESP. It
// reads the node through the small Source interface and decides nothing.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Source is what the HTTP API needs from a node.
type Source interface {
	// Status is the node's present view (computed per request).
	Status() Status
	// Ready is nil while the node is in contact with a leader.
	Ready() error
}

// Server serves the endpoints on one or more listeners.
type Server struct {
	src Source
	log *zap.Logger
	srv *http.Server

	mu  sync.Mutex
	lns []net.Listener
}

// ReadHeaderTimeout bounds a slow client's request headers.
const ReadHeaderTimeout = 5 * time.Second

// New builds the server; met may be shared with the code that feeds it.
func New(src Source, met *Metrics, log *zap.Logger) *Server {
	if log == nil {
		log = zap.NewNop()
	}
	installRaftSink()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{src: src, met: met}, raftTimings.commit, raftTimings.apply,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{src: src, log: log}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusOK, "ok") })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /v1/status", s.status)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: ReadHeaderTimeout}
	return s
}

// Handler returns the endpoints (tests).
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Serve serves every listener until Close; it returns once all stopped.
func (s *Server) Serve(lns ...net.Listener) error {
	s.mu.Lock()
	s.lns = append(s.lns, lns...)
	s.mu.Unlock()
	errs := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { errs <- s.srv.Serve(ln) }()
	}
	var err error
	for range lns {
		if e := <-errs; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
	}
	return err
}

// Close stops the listeners and waits (bounded) for requests in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	s.mu.Lock()
	for _, ln := range s.lns {
		ln.Close() // listeners Serve never saw (Close before Serve)
	}
	s.mu.Unlock()
	return err
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if err := s.src.Ready(); err != nil {
		text(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	text(w, http.StatusOK, "ok")
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.src.Status()); err != nil {
		s.log.Debug("writing status failed", zap.Error(err))
	}
}

func text(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}
