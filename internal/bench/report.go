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
	sec := fmt.Sprintf("redis-benchmark -c %d -n %d against one node: req/s (p50 ms; server CPU µs/req; client CPU %%)", res.Config.Clients, res.Config.Requests)
	goals := map[string]float64{"get-master-addr-by-name": 1.5, "get-master-addr-by-name -P 16": 1}
	var rows []Row
	for i, q := range queries() {
		var r, s *ThroughputResult
		if i < len(res.Throughput[Raftinel]) {
			r = &res.Throughput[Raftinel][i]
		}
		if i < len(res.Throughput[Sentinel]) {
			s = &res.Throughput[Sentinel][i]
		}
		row := Row{Section: sec, What: q.Name, Raftinel: tpText(r), Sentinel: tpText(s), Ratio: "-"}
		if r != nil && s != nil && r.Err == "" && s.Err == "" {
			row.Ratio = ratio(r.RPS, s.RPS)
			if g, ok := goals[q.Name]; ok {
				got := r.RPS / s.RPS
				row.Target = target(fmt.Sprintf("≥ %.1fx", g), got >= g, fmt.Sprintf("%.2fx", got))
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func tpText(r *ThroughputResult) string {
	switch {
	case r == nil:
		return "-"
	case r.Err != "":
		return "error: " + short(r.Err)
	}
	return fmt.Sprintf("%.0f (%.3f; %.2f µs; %.0f%%)", r.RPS, r.P50, r.ServerUS, r.ClientCPU)
}

func (res *Results) footprintRows() []Row {
	if res.Footprint == nil {
		return nil
	}
	sec := fmt.Sprintf("idle monitors (3 nodes; CPU over %s, per node mean; RSS of the largest node)", res.Config.IdleWindow)
	find := func(sys System, fc footprintCase) *FootprintResult {
		for _, r := range res.Footprint[sys] {
			if r.Masters == fc.masters && r.Replicas == fc.replicas {
				return r
			}
		}
		return nil
	}
	var rows []Row
	for _, fc := range (&Bench{cfg: res.Config}).footprintCases() {
		m := fc.masters
		r, s := find(Raftinel, fc), find(Sentinel, fc)
		if r == nil && s == nil {
			continue
		}
		servers := 0
		for _, x := range []*FootprintResult{r, s} {
			if x != nil && x.Servers > 0 {
				servers = x.Servers
			}
		}
		label := fmt.Sprintf("%d masters, %d replicas each (%d redis-servers)", m, fc.replicas, servers)
		ok := func(x *FootprintResult) bool { return x != nil && x.Err == "" }
		rss := Row{Section: sec, What: label + ": RSS MB", Raftinel: fpText(r, func(x *FootprintResult) string { return mb(x.MaxRSS()) }),
			Sentinel: fpText(s, func(x *FootprintResult) string { return mb(x.MaxRSS()) }), Ratio: "-"}
		cpu := Row{Section: sec, What: label + ": CPU %", Raftinel: fpText(r, func(x *FootprintResult) string { return fmt.Sprintf("%.2f", x.MeanCPU()) }),
			Sentinel: fpText(s, func(x *FootprintResult) string { return fmt.Sprintf("%.2f", x.MeanCPU()) }), Ratio: "-"}
		ready := Row{Section: sec, What: label + ": all nodes report all masters ok, ms", Raftinel: fpText(r, readyText),
			Sentinel: fpText(s, readyText), Ratio: "-"}
		if ok(r) && ok(s) {
			rss.Ratio = ratio(float64(r.MaxRSS()), float64(s.MaxRSS()))
			cpu.Ratio = ratio(r.MeanCPU(), s.MeanCPU())
			if r.ReadyOK && s.ReadyOK {
				ready.Ratio = ratio(r.Ready.Seconds(), s.Ready.Seconds())
			}
		}
		if ok(r) && m == 1 && fc.replicas == 0 {
			rss.Target = target("≤ 25 MB", r.MaxRSS() <= 25<<20, mb(r.MaxRSS())+" MB")
		}
		if ok(r) && m == 100 {
			if ok(s) {
				cpu.Target = target("< redis-sentinel", r.MeanCPU() < s.MeanCPU(), fmt.Sprintf("%.2f%% vs %.2f%%", r.MeanCPU(), s.MeanCPU()))
			}
			ready.Target = target("≤ 1000 ms", r.ReadyOK && r.Ready <= time.Second, readyText(r)+" ms")
		}
		rows = append(rows, rss, cpu, ready)
	}
	return rows
}

func fpText(r *FootprintResult, f func(*FootprintResult) string) string {
	switch {
	case r == nil:
		return "not run"
	case r.Err != "":
		return "error: " + short(r.Err)
	}
	return f(r)
}

func readyText(r *FootprintResult) string {
	if !r.ReadyOK {
		return "never"
	}
	return ms(r.Ready)
}

func mb(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

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
