//go:build e2e

package clients

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Columns of the table, in order.
const (
	colBasic     = "discover, write/read"
	colReplica   = "replica read (ROLE)"
	colFirstDown = "first node down"
	colFailover  = "SENTINEL FAILOVER"
	colKill      = "kill -9 master"
	colPubSub    = "+switch-master (pub/sub)"
	colAuth      = "passwords"
)

var columns = []string{colBasic, colReplica, colFirstDown, colFailover, colKill, colPubSub, colAuth}

type cell struct {
	text string
	ok   bool
}

// table collects the outcome of every client × scenario.
type table struct {
	mu   sync.Mutex
	rows map[string]map[string]cell
}

var results = &table{rows: map[string]map[string]cell{}}

func (tb *table) set(row, col, text string, ok bool) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.rows[row] == nil {
		tb.rows[row] = map[string]cell{}
	}
	tb.rows[row][col] = cell{text, ok}
}

// markdown renders the rows that ran, in clientList order; a cell that did
// not run shows "not run".
func (tb *table) markdown() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var b strings.Builder
	b.WriteString("| client | " + strings.Join(columns, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(columns)) + "|\n")
	for _, c := range clientList {
		row := tb.rows[c.name]
		if row == nil {
			continue
		}
		b.WriteString("| " + c.name)
		for _, col := range columns {
			text := "not run"
			if x, ok := row[col]; ok {
				text = x.text
			}
			b.WriteString(" | " + text)
		}
		b.WriteString(" |\n")
	}
	return b.String()
}

const (
	docsBegin = "<!-- clients-table:begin (written by RAFTINEL_WRITE_DOCS=1 go test ./e2e/clients) -->"
	docsEnd   = "<!-- clients-table:end -->"
)

var errNoMarkers = errors.New("table markers not found")

// writeDocs replaces the table between the markers of path.
func writeDocs(path, table string, took time.Duration) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, docsBegin), strings.Index(s, docsEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s: %w", path, errNoMarkers)
	}
	race := ""
	if raceEnabled {
		race = ", raftinel built with -race"
	}
	body := fmt.Sprintf("%s\n%s\nMeasured %s (suite %v%s).\n", docsBegin, table, time.Now().UTC().Format("2006-01-02"), took.Round(time.Second), race)
	s = s[:i] + body + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
