package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one line of the report: raftinel's figure, redis-sentinel's, the
// ratio raftinel ÷ redis-sentinel of the headline numbers, and the target
// with whether it was met.
type Row struct {
	Section, What      string
	Raftinel, Sentinel string
	Ratio              string
	Target             string
}

// target renders "≤ 1100 ms: met" / "... missed by 12%".
func target(goal string, met bool, miss string) string {
	if met {
		return goal + ": met"
	}
	if miss == "" {
		return goal + ": missed"
	}
	return goal + ": missed (" + miss + ")"
}

func ratio(r, s float64) string {
	if r <= 0 && s <= 0 || s == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r/s)
}

// Rows turns results into the report's rows.
func (res *Results) Rows() []Row {
	var rows []Row
	rows = append(rows, res.failoverRows(FaultKill)...)
	rows = append(rows, res.failoverRows(FaultStop)...)
	rows = append(rows, res.lossRows()...)
	rows = append(rows, res.throughputRows()...)
	rows = append(rows, res.footprintRows()...)
	rows = append(rows, res.bootstrapRows()...)
	rows = append(rows, res.scaleRows()...)
	return rows
}

func msSpread(ds []time.Duration) string {
	return spreadOf(durationsMs(ds)).Format(func(v float64) string { return fmt.Sprintf("%.0f", v) })
}

func (res *Results) bootstrapRows() []Row {
	b := res.Bootstrap
	if b == nil {
		return nil
	}
	sec := fmt.Sprintf("Raft bootstrap, ms: median (min–max) of %d runs", res.Config.Runs)
	row := Row{Section: sec, What: "fresh 3-node cluster: last node started → all nodes name one leader", Raftinel: msSpread(b.Leader), Sentinel: "-", Ratio: "-"}
	if len(b.Errors) > 0 {
		row.Raftinel += fmt.Sprintf(" (%d runs failed)", len(b.Errors))
	}
	if len(b.Leader) > 0 {
		m := spreadOf(durationsMs(b.Leader)).Median
		row.Target = target("≤ 300 ms", m <= 300 && len(b.Errors) == 0, fmt.Sprintf("%.0f ms", m))
	}
	return []Row{row}
}

func (res *Results) scaleRows() []Row {
	s := res.Scale
	if s == nil {
		return nil
	}
	sim := s.Masters - s.RealSets
	sec := fmt.Sprintf("%d masters × %d replicas on one 3-node raftinel cluster (%d real redis-server sets, %d SIMULATED sets: responders in child processes of the bench answering PING/INFO; failovers only on real sets), ping-period %d, down-after %d ms; ms median (min–max) of up to %d runs",
		s.Masters, s.Replicas, s.RealSets, sim, s.Ping.Milliseconds(), s.DownAfter.Milliseconds(), res.Config.Runs)
	da := s.DownAfter
	med := func(ds []time.Duration) float64 { return spreadOf(durationsMs(ds)).Median }
	rows := []Row{
		{Section: sec, What: "all 3 nodes report all masters ok, from start", Raftinel: msSpread(s.Ready), Sentinel: "not run", Ratio: "-"},
		{Section: sec, What: "kill -9 of one master → its +switch-master", Raftinel: msSpread(s.OneKill), Sentinel: "not run", Ratio: "-"},
		{Section: sec, What: "kill -9 of 10 masters at once → the last of their +switch-master", Raftinel: msSpread(s.TenKill), Sentinel: "not run", Ratio: "-"},
		{Section: sec, What: fmt.Sprintf("RAFT SNAPSHOT on a follower (snapshot %.1f MB)", float64(s.SnapshotBytes)/(1<<20)), Raftinel: msSpread(s.Snapshot), Sentinel: "-", Ratio: "-"},
		{Section: sec, What: "follower kill -9 and restart → serving every master again", Raftinel: msSpread(s.Restart), Sentinel: "-", Ratio: "-"},
		{Section: sec, What: "idle CPU % per node / RSS MB / anonymous MB of the largest node", Raftinel: fmt.Sprintf("%s / %s / %s",
			spreadOf(s.CPU).Format(func(v float64) string { return fmt.Sprintf("%.2f", v) }),
			spreadOf(mbs(s.RSS)).Format(func(v float64) string { return fmt.Sprintf("%.1f", v) }),
			spreadOf(mbs(s.Anon)).Format(func(v float64) string { return fmt.Sprintf("%.1f", v) })), Sentinel: "not run", Ratio: "-"},
	}
	if len(s.Ready) > 0 {
		rows[0].Target = target("≤ 2000 ms", med(s.Ready) <= 2000 && s.NotReady == 0, fmt.Sprintf("%.0f ms", med(s.Ready)))
	}
	if len(s.OneKill) > 0 {
		goal := da + 100*time.Millisecond
		rows[1].Target = target(fmt.Sprintf("≤ %d ms", goal.Milliseconds()), med(s.OneKill) <= float64(goal.Milliseconds()), fmt.Sprintf("%.0f ms", med(s.OneKill)))
	}
	if len(s.TenKill) > 0 {
		goal := da + 500*time.Millisecond
		rows[2].Target = target(fmt.Sprintf("≤ %d ms", goal.Milliseconds()), med(s.TenKill) <= float64(goal.Milliseconds()), fmt.Sprintf("%.0f ms", med(s.TenKill)))
	}
	if len(s.Errors) > 0 {
		rows = append(rows, Row{Section: sec, What: "errors", Raftinel: short(strings.Join(s.Errors, "; ")), Sentinel: "-", Ratio: "-"})
	}
	return rows
}

func (res *Results) failoverRows(f Fault) []Row {
	by := res.Failover[f]
	if by == nil {
		return nil
	}
	r, s := by[Raftinel], by[Sentinel]
	name := map[Fault]string{FaultKill: "kill -9 of the master", FaultStop: "SIGSTOP of the master"}[f]
	back := map[Fault]string{FaultKill: "old master a replica again, from its restart", FaultStop: "old master a replica again, from SIGCONT"}[f]
	sec := fmt.Sprintf("%s, ms min / median / p90 / max (%d trials, down-after %d ms)", name, res.Config.Trials, res.Config.DownAfter.Milliseconds())
	type metric struct {
		what string
		get  func(*FailoverResult) Summary
		goal time.Duration
	}
	ms := []metric{
		{"first +odown", func(x *FailoverResult) Summary { return x.ODown }, 0},
		{"first +switch-master", func(x *FailoverResult) Summary { return x.Switch }, 1100 * time.Millisecond},
		{"every node answers the new master", func(x *FailoverResult) Summary { return x.AllAnswer }, 0},
		{"first write acked by the new master (go-redis)", func(x *FailoverResult) Summary { return x.FirstWrite }, 0},
	}
	if res.Config.Rejoin {
		goal := time.Duration(0)
		if f == FaultStop {
			goal = time.Second
		}
		ms = append(ms, metric{back, func(x *FailoverResult) Summary { return x.Rejoin }, goal})
	}
	var rows []Row
	for _, m := range ms {
		row := Row{Section: sec, What: m.what, Raftinel: "-", Sentinel: "-", Ratio: "-"}
		var rm, sm time.Duration
		if r != nil {
			sum := m.get(r)
			row.Raftinel, rm = sum.String(), sum.Median
		}
		if s != nil {
			sum := m.get(s)
			row.Sentinel, sm = sum.String(), sum.Median
		}
		row.Ratio = ratio(rm.Seconds(), sm.Seconds())
		if m.goal > 0 && r != nil {
			sum := m.get(r)
			ok := sum.N > 0 && sum.Failed == 0 && sum.Median <= m.goal
			miss := ""
			if sum.N > 0 && !ok && sum.Median > m.goal {
				miss = fmt.Sprintf("median %s ms, +%s ms", msStr(sum.Median), msStr(sum.Median-m.goal))
			}
			row.Target = target("median ≤ "+msStr(m.goal)+" ms", ok, miss)
		}
		rows = append(rows, row)
	}
	return rows
}

func msStr(d time.Duration) string { return ms(d) }

func (res *Results) lossRows() []Row {
	if res.Loss == nil {
		return nil
	}
	c := res.Config
	sec := "acknowledged writes lost (lost / acked)"
	whats := map[LossKind]string{
		LossCrash:     fmt.Sprintf("kill -9 of the master (%s run)", c.LossRun),
		LossManual:    fmt.Sprintf("SENTINEL FAILOVER (%s run)", c.LossRun),
		LossPartition: fmt.Sprintf("master cut from monitors and replicas, not the writer (%s run, %s cut)", c.PartitionRun, c.PartitionCut),
	}
	var rows []Row
	for _, k := range []LossKind{LossCrash, LossManual, LossPartition} {
		r, s := res.Loss[Raftinel][k], res.Loss[Sentinel][k]
		if r == nil && s == nil {
			continue
		}
		row := Row{Section: sec, What: whats[k], Raftinel: lossText(r), Sentinel: lossText(s), Ratio: "-"}
		if r != nil && s != nil && r.Err == "" && s.Err == "" && s.Lost > 0 {
			row.Ratio = ratio(r.LostPct(), s.LostPct())
		}
		if r != nil && r.Err == "" {
			switch k {
			case LossManual:
				row.Target = target("0 lost", r.Lost == 0, fmt.Sprintf("%d lost", r.Lost))
			case LossPartition:
				row.Target = target("≤ 2%", r.LostPct() <= 2, fmt.Sprintf("%.2f%%", r.LostPct()))
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func lossText(r *LossResult) string {
	switch {
	case r == nil:
		return "-"
	case r.Err != "":
		return "not run: " + short(r.Err)
	}
	s := fmt.Sprintf("%d / %d (%.2f%%)", r.Lost, r.Acked, r.LostPct())
	if !r.Switched {
		s += ", no failover"
	}
	return s
}

func (res *Results) throughputRows() []Row {
	if res.Throughput == nil {
		return nil
	}
	sec := fmt.Sprintf("redis-benchmark -c %d against one node: req/s median (min–max) of %d runs; server CPU µs/req (median)",
		res.Config.Clients, res.Config.Runs)
	find := func(q string, t Target) *ThroughputRuns {
		for _, tr := range res.Throughput {
			if tr.Query == q && tr.Target == t {
				return tr
			}
		}
		return nil
	}
	var rows []Row
	for _, q := range (&Bench{cfg: res.Config}).queries() {
		s := find(q.Name, TargetSentinel)
		for _, t := range []Target{TargetLeader, TargetFollower} {
			r := find(q.Name, t)
			if r == nil && s == nil {
				continue
			}
			what := q.Name + ", " + strings.TrimPrefix(string(t), "raftinel ")
			row := Row{Section: sec, What: what, Raftinel: tpText(r), Sentinel: tpText(s), Ratio: "-"}
			if r != nil && s != nil && r.RPS().N > 0 && s.RPS().N > 0 {
				got := r.RPS().Median / s.RPS().Median
				row.Ratio = fmt.Sprintf("%.2f", got)
				if q.Goal > 0 {
					row.Target = target(fmt.Sprintf("≥ %.1fx", q.Goal), got >= q.Goal, fmt.Sprintf("%.2fx", got))
				}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func tpText(r *ThroughputRuns) string {
	switch {
	case r == nil:
		return "-"
	case r.RPS().N == 0:
		if errs := r.Errors(); len(errs) > 0 {
			return "error: " + short(errs[0])
		}
		return "-"
	}
	return r.RPS().Format(func(v float64) string { return fmt.Sprintf("%.0f", v) }) +
		fmt.Sprintf("; %.2f µs", r.ServerUS().Median)
}

func (res *Results) footprintRows() []Row {
	if res.Footprint == nil {
		return nil
	}
	sec := fmt.Sprintf("idle monitors (3 nodes): median (min–max) of %d runs; CPU over %s, per node mean; RSS and anonymous memory of the largest node",
		res.Config.Runs, res.Config.IdleWindow)
	find := func(sys System, fc footprintCase) *FootprintResult {
		for _, r := range res.Footprint[sys] {
			if r.Masters == fc.masters && r.Replicas == fc.replicas && r.Ping == fc.ping && r.Heartbeat == fc.heartbeat {
				return r
			}
		}
		return nil
	}
	ok := func(x *FootprintResult) bool { return x != nil && x.Err == "" && len(x.CPU) > 0 }
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	f1 := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	var rows []Row
	for _, fc := range (&Bench{cfg: res.Config}).footprintCases() {
		r := find(Raftinel, fc)
		s := find(Sentinel, footprintCase{masters: fc.masters, replicas: fc.replicas}) // Sentinel pings every second
		if r == nil && s == nil {
			continue
		}
		servers := 0
		for _, x := range []*FootprintResult{r, s} {
			if x != nil && x.Servers > 0 {
				servers = x.Servers
			}
		}
		label := fmt.Sprintf("%s (%d redis-servers)", fc.label(), servers)
		row := func(what string, get func(*FootprintResult) Spread, f func(float64) string) Row {
			out := Row{Section: sec, What: label + ": " + what, Raftinel: fpText(r, get, f), Sentinel: fpText(s, get, f), Ratio: "-"}
			if ok(r) && ok(s) && get(r).N > 0 && get(s).N > 0 {
				out.Ratio = ratio(get(r).Median, get(s).Median)
			}
			return out
		}
		cpu := row("CPU %", (*FootprintResult).cpu, f2)
		ready := row("all nodes report all masters ok, ms", (*FootprintResult).ready, func(v float64) string { return fmt.Sprintf("%.0f", v) })
		if fc.ping > 0 {
			if ok(r) && ok(s) {
				got, want := r.cpu().Median, s.cpu().Median
				cpu.Target = target("≤ redis-sentinel at equal ping periods", got <= want, fmt.Sprintf("%.2f%% vs %.2f%%", got, want))
			}
			rows = append(rows, cpu)
			continue
		}
		rss := row("RSS MB", (*FootprintResult).rss, f1)
		anon := row("anonymous MB", (*FootprintResult).anon, f1)
		if ok(r) && fc.masters == 1 && fc.replicas == 0 {
			rss.Target = target("≤ 15 MB", r.rss().Median <= 15, f1(r.rss().Median)+" MB")
		}
		rows = append(rows, rss, anon, cpu, ready)
	}
	return rows
}

func fpText(r *FootprintResult, get func(*FootprintResult) Spread, f func(float64) string) string {
	switch {
	case r == nil:
		return "not run"
	case r.Err != "":
		return "error: " + short(r.Err)
	}
	out := get(r).Format(f)
	if r.Failed > 0 {
		out += fmt.Sprintf(" (%d of %d never ready)", r.Failed, r.Failed+len(r.Ready))
	}
	return out
}

// WriteText prints the rows as aligned text, one block per section.
func (res *Results) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	sec := ""
	fmt.Fprintf(tw, "what\traftinel\tredis-sentinel\tratio r/s\ttarget (raftinel)\n")
	for _, r := range res.Rows() {
		if r.Section != sec {
			sec = r.Section
			fmt.Fprintf(tw, "\n%s\t\t\t\t\n", sec)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.What, r.Raftinel, r.Sentinel, r.Ratio, r.Target)
	}
	return tw.Flush()
}

// WriteMarkdown prints the run's description and one table per section.
func (res *Results) WriteMarkdown(w io.Writer) error {
	m := res.Meta
	fmt.Fprintf(w, "Run %s, %s; %d CPUs (%s); load average %s at the start, %s at the end\n\n",
		m.Start.Format("2006-01-02 15:04 MST"), m.Took.Round(time.Second), m.CPUs, m.CPUModel, m.LoadAvg[0], m.LoadAvg[1])
	for _, v := range m.Versions {
		fmt.Fprintf(w, "- %s\n", v)
	}
	sec := ""
	for _, r := range res.Rows() {
		if r.Section != sec {
			sec = r.Section
			fmt.Fprintf(w, "\n**%s**\n\n| what | raftinel | redis-sentinel | ratio r/s | target (raftinel) |\n|---|---|---|---|---|\n", sec)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.What, cell(r.Raftinel), cell(r.Sentinel), r.Ratio, r.Target)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// short keeps a table cell readable; the progress log has the whole error.
func short(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
