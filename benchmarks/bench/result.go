package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Result holds the figures of one run. Latencies are in milliseconds.
type Result struct {
	Addr      string  `json:"addr"`
	Clients   int     `json:"clients"`
	Pipeline  int     `json:"pipeline"`
	Mix       string  `json:"mix"`
	Keyspace  int     `json:"keyspace"`
	ValueSize int     `json:"value_size"`
	Requests  int64   `json:"requests"` // replies received
	Errors    int64   `json:"errors"`   // error replies among them
	Seconds   float64 `json:"seconds"`
	// Throughput is Requests / Seconds.
	Throughput float64 `json:"throughput"`
	Latency    Latency `json:"latency_ms"`
	// Commands has one row per mix entry, in mix order.
	Commands []CommandResult `json:"commands"`
	// FirstError is the text of one error reply, to show what went wrong.
	FirstError string `json:"first_error,omitempty"`

	hist *hdrhistogram.Histogram
}

// CommandResult is one command's share of a run.
type CommandResult struct {
	Command    string  `json:"command"`
	Requests   int64   `json:"requests"`
	Errors     int64   `json:"errors"`
	Misses     int64   `json:"misses"` // null replies
	Throughput float64 `json:"throughput"`
	Latency    Latency `json:"latency_ms"`
}

// Latency is a latency distribution summary in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		P50:  ms(h.ValueAtQuantile(50)),
		P99:  ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)),
		Max:  ms(h.Max()),
		Mean: h.Mean() / 1000,
	}
}

// collect merges the clients' counters and histograms.
func collect(o *Options, clients []*client, elapsed time.Duration) *Result {
	r := &Result{
		Addr: o.Addr, Clients: o.Clients, Pipeline: o.Pipeline, Mix: FormatMix(o.Mix),
		Keyspace: o.Keyspace, ValueSize: o.ValueSize, Seconds: elapsed.Seconds(),
		hist: newHist(),
	}
	for k, e := range o.Mix {
		h := newHist()
		cr := CommandResult{Command: strings.ToUpper(e.Command)}
		for _, c := range clients {
			h.Merge(c.hists[k])
			cr.Requests += c.counts[k]
			cr.Errors += c.errs[k]
			cr.Misses += c.misses[k]
			if r.FirstError == "" {
				r.FirstError = c.firstErr
			}
		}
		if r.Seconds > 0 {
			cr.Throughput = float64(cr.Requests) / r.Seconds
		}
		cr.Latency = latencyOf(h)
		r.hist.Merge(h)
		r.Requests += cr.Requests
		r.Errors += cr.Errors
		r.Commands = append(r.Commands, cr)
	}
	if r.Seconds > 0 {
		r.Throughput = float64(r.Requests) / r.Seconds
	}
	r.Latency = latencyOf(r.hist)
	return r
}

// Histogram returns the merged latency histogram of the run (microseconds);
// nil for a Result decoded from JSON.
func (r *Result) Histogram() *hdrhistogram.Histogram { return r.hist }

// header is the one-line description of the run.
func (r *Result) header() string {
	return fmt.Sprintf("%s, %d clients, pipeline %d, mix %s, keyspace %d, value %d B",
		r.Addr, r.Clients, r.Pipeline, r.Mix, r.Keyspace, r.ValueSize)
}

func (r *Result) summary() string {
	return fmt.Sprintf("%d requests in %.2f s: %.0f req/s, %d errors", r.Requests, r.Seconds, r.Throughput, r.Errors)
}

// rows are the table rows: one per command and, when there are several,
// a total.
func (r *Result) rows() [][]string {
	row := func(name string, n, errs int64, misses string, rate float64, l Latency) []string {
		return []string{name, strconv.FormatInt(n, 10), strconv.FormatInt(errs, 10), misses,
			fmt.Sprintf("%.0f", rate), fmtMs(l.P50), fmtMs(l.P99), fmtMs(l.P999), fmtMs(l.Max)}
	}
	var rows [][]string
	for _, c := range r.Commands {
		misses := "-"
		if c.Command == "GET" || c.Command == "HGET" || c.Command == "LPOP" {
			misses = strconv.FormatInt(c.Misses, 10)
		}
		rows = append(rows, row(c.Command, c.Requests, c.Errors, misses, c.Throughput, c.Latency))
	}
	if len(r.Commands) > 1 {
		rows = append(rows, row("all", r.Requests, r.Errors, "-", r.Throughput, r.Latency))
	}
	return rows
}

var columns = []string{"command", "requests", "errors", "misses", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms"}

// fmtMs prints milliseconds with three decimals (microsecond resolution).
func fmtMs(ms float64) string { return strconv.FormatFloat(ms, 'f', 3, 64) }

// WriteText writes the run as an aligned text table.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(r.header() + "\n" + r.summary() + "\n")
	if r.FirstError != "" {
		b.WriteString("first error reply: " + r.FirstError + "\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(columns, "\t")+"\t")
	for _, row := range r.rows() {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the run as a markdown table under a one-line
// description.
func (r *Result) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("`" + r.header() + "`: " + r.summary() + "\n\n")
	if r.FirstError != "" {
		b.WriteString("First error reply: `" + r.FirstError + "`\n\n")
	}
	b.WriteString(markdownTable(columns, r.rows(), 1))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the run as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// markdownTable renders a table; the columns from firstNumeric on are
// right-aligned. Cells must not contain '|' or newlines.
func markdownTable(header []string, rows [][]string, firstNumeric int) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if i >= firstNumeric {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return b.String()
}
