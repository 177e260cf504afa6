// Package httpapi is a node's optional HTTP listener (the http-port
// directive): Prometheus metrics on /metrics, /healthz (the process is up),
// /readyz (the node is in contact with a Raft leader, so it serves
// addresses) and /v1/status (masters, replicas, flags and Raft state as
// JSON). It exists so that operators and orchestrators (Kubernetes probes,
// Prometheus, dashboards) can watch raftinel without speaking RESP. It
// reads the node through the small Source interface and decides nothing.
//
// /metrics is the Prometheus text format 0.0.4 written by hand (expo.go),
// not by the Prometheus client library, which with protobuf was about 2 MB
// of an idle node's RSS (issue 16). It serves the same raftinel_* families
// as before, and of the Go runtime and process metrics the library's
// default collectors exported the same names, types and help texts,
// except:
//   - process_network_receive_bytes_total and
//     process_network_transmit_bytes_total are gone: they were the network
//     namespace's counters (/proc/self/net/netstat), not the process's;
//   - go_gc_duration_seconds' quantiles are over the last pauses the
//     runtime keeps (debug.ReadGCStats, up to 256);
//   - only the text format is served: no protobuf or OpenMetrics
//     negotiation, no gzip (Prometheus scrapes text without either);
//   - process_* are served on Linux only (read from /proc).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

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
	met *Metrics
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
	s := &Server{src: src, met: met, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.metrics)
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

// metrics writes the Prometheus text exposition (format 0.0.4) of this
// node's metrics, raft timings, Go runtime and process metrics.
func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	e := newExposition()
	collector{src: s.src, met: s.met}.write(e)
	raftTimings.write(e)
	writeGoRuntime(e)
	writeProcess(e)
	w.Header().Set("Content-Type", contentType)
	if err := e.writeTo(w); err != nil {
		s.log.Debug("writing metrics failed", zap.Error(err))
	}
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
