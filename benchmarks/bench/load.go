package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/wardenhq/warden/internal/resp"
)

// Options describe one load run. The zero value of a field means the
// default given in its comment.
type Options struct {
	// Addr is the server, host:port (127.0.0.1:6379).
	Addr string
	// Clients is the number of connections, each driven by its own
	// goroutine (50).
	Clients int
	// Pipeline is how many commands a client sends before it reads their
	// replies (1).
	Pipeline int
	// Requests is the total number of commands over all clients. When it
	// is 0 the run lasts Duration instead; when both are 0, 100000
	// requests (redis-benchmark's default).
	Requests int64
	// Duration bounds the run when Requests is 0.
	Duration time.Duration
	// Mix is the command mix; nil means SET and GET half each.
	Mix []MixEntry
	// Keyspace is the number of distinct keys, picked uniformly at random
	// (100000).
	Keyspace int
	// ValueSize is the size of SET, LPUSH and HSET values in bytes (3, as
	// redis-benchmark).
	ValueSize int
	// User and Password authenticate each connection with AUTH when
	// Password is set.
	User, Password string
	// Timeout bounds dialling and each batch's round trip (10s).
	Timeout time.Duration
	// Seed makes the key sequence reproducible: client i draws its keys
	// from a generator seeded with (Seed, i).
	Seed uint64
	// Progress, when set, receives a progress line about four times a
	// second, rewritten in place with \r (meant for a terminal).
	Progress io.Writer
}

// MixEntry is one command of a mix and its weight.
type MixEntry struct {
	Command string // lower case, one of Commands
	Weight  int
}

// Commands are the command names a mix may use. Each works on its own key
// family so that no mix provokes WRONGTYPE: set, get and del on
// "key:<n>", incr on "counter:<n>", lpush and lpop on "list:<n>", hset
// and hget on field "f" of "hash:<n>"; ping takes no key. Keys are
// "<prefix>:" and 12 digits, the shape of redis-benchmark's -r keys.
var Commands = []string{"set", "get", "del", "incr", "lpush", "lpop", "hset", "hget", "ping"}

// ParseMix parses "set:1,get:3" (a name alone has weight 1).
func ParseMix(s string) ([]MixEntry, error) {
	var mix []MixEntry
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, hasWeight := strings.Cut(part, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		w := 1
		if hasWeight {
			var err error
			w, err = strconv.Atoi(strings.TrimSpace(weight))
			if err != nil || w <= 0 || w > 1000 {
				return nil, fmt.Errorf("mix %q: weight of %s must be an integer from 1 to 1000", s, name)
			}
		}
		if commandIndex(name) < 0 {
			return nil, fmt.Errorf("mix %q: unknown command %q (known: %s)", s, name, strings.Join(Commands, ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("mix %q: %s given twice", s, name)
		}
		seen[name] = true
		mix = append(mix, MixEntry{Command: name, Weight: w})
	}
	if len(mix) == 0 {
		return nil, fmt.Errorf("mix %q: no command", s)
	}
	return mix, nil
}

// FormatMix is the inverse of ParseMix.
func FormatMix(mix []MixEntry) string {
	parts := make([]string, len(mix))
	for i, e := range mix {
		parts[i] = e.Command + ":" + strconv.Itoa(e.Weight)
	}
	return strings.Join(parts, ",")
}

func commandIndex(name string) int {
	for i, c := range Commands {
		if c == name {
			return i
		}
	}
	return -1
}

// schedule spreads the mix over one cycle of sum(weights) slots by smooth
// weighted round robin (set:1,get:3 gives G G S G rather than S G G G), so
// that any window of requests is close to the mix. Request number i of a
// run uses slot i mod len(cycle): a run of n requests has exactly the
// mix's proportions, up to one cycle.
func schedule(mix []MixEntry) []int {
	total := 0
	for _, e := range mix {
		total += e.Weight
	}
	cur := make([]int, len(mix))
	cycle := make([]int, 0, total)
	for range total {
		best := 0
		for i, e := range mix {
			cur[i] += e.Weight
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		cycle = append(cycle, best)
	}
	return cycle
}

const (
	// Latencies are recorded in microseconds from 1 µs to 60 s with 3
	// significant digits: ~140 KB per histogram.
	histMin    = 1
	histMax    = 60_000_000
	histDigits = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

func (o *Options) withDefaults() (Options, error) {
	v := *o
	if v.Addr == "" {
		v.Addr = "127.0.0.1:6379"
	}
	if v.Clients == 0 {
		v.Clients = 50
	}
	if v.Pipeline == 0 {
		v.Pipeline = 1
	}
	if v.Requests == 0 && v.Duration == 0 {
		v.Requests = 100000
	}
	if v.Mix == nil {
		v.Mix = []MixEntry{{"set", 1}, {"get", 1}}
	}
	if v.Keyspace == 0 {
		v.Keyspace = 100000
	}
	if v.ValueSize == 0 {
		v.ValueSize = 3
	}
	if v.Timeout == 0 {
		v.Timeout = 10 * time.Second
	}
	switch {
	case v.Clients < 0 || v.Clients > 100000:
		return v, fmt.Errorf("clients must be from 1 to 100000, not %d", v.Clients)
	case v.Pipeline < 0 || v.Pipeline > 100000:
		return v, fmt.Errorf("pipeline must be from 1 to 100000, not %d", v.Pipeline)
	case v.Requests < 0 || v.Duration < 0:
		return v, errors.New("requests and duration must not be negative")
	case v.Requests > 0 && v.Duration > 0:
		return v, errors.New("give a request count or a duration, not both")
	case v.Keyspace < 0 || v.ValueSize < 0 || v.Timeout < 0:
		return v, errors.New("keyspace, value size and timeout must not be negative")
	case v.ValueSize > 512<<20:
		return v, fmt.Errorf("value size %d is over 512 MB", v.ValueSize)
	}
	for _, e := range v.Mix {
		if commandIndex(e.Command) < 0 || e.Weight <= 0 {
			return v, fmt.Errorf("bad mix entry %+v", e)
		}
	}
	return v, nil
}

// client is one connection and the goroutine driving it. Everything in
// it is private to that goroutine until the run ends.
type client struct {
	o     *Options
	id    int
	conn  net.Conn
	cycle []int
	cmdOf []int // mix index -> index in Commands
	rng   *rand.Rand
	value []byte

	wbuf []byte
	rbuf []byte
	rpos int // first unparsed byte of rbuf
	// lastRead is when the latest read from conn returned.
	lastRead time.Time
	kinds    []int // mix index of each command of the current batch

	hists  []*hdrhistogram.Histogram // per mix entry
	counts []int64
	errs   []int64
	misses []int64 // null replies (GET of a missing key...)
	// firstErr keeps one error reply text for the report.
	firstErr string
}

// keyPrefixes are the key families of Commands, index for index.
var keyPrefixes = []string{"key:", "key:", "key:", "counter:", "list:", "list:", "hash:", "hash:", ""}

// appendKey appends prefix and a 12-digit key number, zero padded.
func appendKey(dst []byte, prefix string, n uint64) []byte {
	dst = append(dst, prefix...)
	var digits [12]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, digits[:]...)
}

// appendRequest appends one command of mix entry k to c.wbuf.
func (c *client) appendRequest(k int) {
	cmd := c.cmdOf[k]
	prefix := keyPrefixes[cmd]
	var keyBuf [32]byte
	key := appendKey(keyBuf[:0], prefix, c.rng.Uint64N(uint64(max(c.o.Keyspace, 1))))
	b := c.wbuf
	switch Commands[cmd] {
	case "set":
		b = resp.AppendCommand(b, []byte("SET"), key, c.value)
	case "get":
		b = resp.AppendCommand(b, []byte("GET"), key)
	case "del":
		b = resp.AppendCommand(b, []byte("DEL"), key)
	case "incr":
		b = resp.AppendCommand(b, []byte("INCR"), key)
	case "lpush":
		b = resp.AppendCommand(b, []byte("LPUSH"), key, c.value)
	case "lpop":
		b = resp.AppendCommand(b, []byte("LPOP"), key)
	case "hset":
		b = resp.AppendCommand(b, []byte("HSET"), key, []byte("f"), c.value)
	case "hget":
		b = resp.AppendCommand(b, []byte("HGET"), key, []byte("f"))
	case "ping":
		b = resp.AppendCommand(b, []byte("PING"))
	}
	c.wbuf = b
}

// dial connects and authenticates.
func (c *client) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: c.o.Timeout}
	conn, err := d.DialContext(ctx, "tcp", c.o.Addr)
	if err != nil {
		return err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c.conn = conn
	if c.o.Password == "" {
		return nil
	}
	args := []string{"AUTH", c.o.Password}
	if c.o.User != "" {
		args = []string{"AUTH", c.o.User, c.o.Password}
	}
	_ = conn.SetDeadline(time.Now().Add(c.o.Timeout))
	c.wbuf = resp.AppendCommandStrings(c.wbuf[:0], args...)
	if _, err := conn.Write(c.wbuf); err != nil {
		return err
	}
	v, err := c.readReply()
	if err != nil {
		return err
	}
	if v.IsError() {
		return fmt.Errorf("AUTH: %s", v.Str)
	}
	return nil
}

// readReply returns the next reply. c.lastRead is the time the read that
// completed it returned: the reply's arrival as far as the client can see.
func (c *client) readReply() (resp.Value, error) {
	for {
		if c.rpos < len(c.rbuf) {
			v, n, err := resp.ParseReply(c.rbuf[c.rpos:], resp.ReplyLimits{})
			if err != nil {
				return v, err
			}
			if n > 0 {
				c.rpos += n
				return v, nil
			}
		}
		// Keep the unparsed tail, make room, read more.
		if c.rpos > 0 {
			n := copy(c.rbuf, c.rbuf[c.rpos:])
			c.rbuf = c.rbuf[:n]
			c.rpos = 0
		}
		if cap(c.rbuf)-len(c.rbuf) < 4096 {
			nb := make([]byte, len(c.rbuf), 2*cap(c.rbuf)+16384)
			copy(nb, c.rbuf)
			c.rbuf = nb
		}
		n, err := c.conn.Read(c.rbuf[len(c.rbuf):cap(c.rbuf)])
		c.lastRead = time.Now()
		c.rbuf = c.rbuf[:len(c.rbuf)+n]
		if err != nil && n == 0 {
			if errors.Is(err, io.EOF) {
				return resp.Value{}, io.ErrUnexpectedEOF
			}
			return resp.Value{}, err
		}
	}
}

// runState is what the clients of one run share.
type runState struct {
	issued   atomic.Int64 // request numbers handed out
	done     atomic.Int64 // replies received
	deadline time.Time    // zero with a request count
}

// loop sends batches until the run is over. It returns the first I/O or
// protocol error.
func (c *client) loop(ctx context.Context, st *runState) error {
	p := int64(c.o.Pipeline)
	total := c.o.Requests
	for ctx.Err() == nil {
		if !st.deadline.IsZero() && !time.Now().Before(st.deadline) {
			return nil
		}
		end := st.issued.Add(p)
		start := end - p
		n := p
		if total > 0 {
			if start >= total {
				return nil
			}
			n = min(p, total-start)
		}
		c.wbuf = c.wbuf[:0]
		c.kinds = c.kinds[:0]
		for i := range n {
			k := c.cycle[(start+i)%int64(len(c.cycle))]
			c.kinds = append(c.kinds, k)
			c.appendRequest(k)
		}
		sent := time.Now()
		if err := c.conn.SetDeadline(sent.Add(c.o.Timeout)); err != nil {
			return c.ioError(ctx, err)
		}
		if _, err := c.conn.Write(c.wbuf); err != nil {
			return c.ioError(ctx, err)
		}
		for _, k := range c.kinds {
			v, err := c.readReply()
			if err != nil {
				return c.ioError(ctx, err)
			}
			us := c.lastRead.Sub(sent).Microseconds()
			_ = c.hists[k].RecordValue(min(max(us, histMin), histMax))
			c.counts[k]++
			switch {
			case v.IsError():
				c.errs[k]++
				if c.firstErr == "" {
					c.firstErr = v.Str
				}
			case v.IsNull():
				c.misses[k]++
			}
		}
		st.done.Add(n)
	}
	return nil
}

// ioError is err, unless the run was cancelled: then the error is the
// cancellation cutting the connection short, and the run ends cleanly.
func (c *client) ioError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Run drives the load described by o and returns its figures. All clients
// connect (and authenticate) before the clock starts. A cancelled ctx ends
// the run early with the figures so far. An I/O or protocol error on any
// connection ends the run and is returned, with the figures so far.
func Run(ctx context.Context, o Options) (*Result, error) {
	opts, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	cycle := schedule(opts.Mix)
	cmdOf := make([]int, len(opts.Mix))
	for k, e := range opts.Mix {
		cmdOf[k] = commandIndex(e.Command)
	}
	value := []byte(strings.Repeat("x", opts.ValueSize))
	clients := make([]*client, opts.Clients)
	for i := range clients {
		c := &client{
			o: &opts, id: i, cycle: cycle, cmdOf: cmdOf, value: value,
			rng:    rand.New(rand.NewPCG(opts.Seed, uint64(i))),
			rbuf:   make([]byte, 0, 16384),
			counts: make([]int64, len(opts.Mix)), errs: make([]int64, len(opts.Mix)),
			misses: make([]int64, len(opts.Mix)),
		}
		for range opts.Mix {
			c.hists = append(c.hists, newHist())
		}
		clients[i] = c
	}
	defer func() {
		for _, c := range clients {
			if c.conn != nil {
				_ = c.conn.Close()
			}
		}
	}()

	// Connect everyone first, a few at a time, so that a slow accept
	// queue does not count against the run.
	if err := connectAll(ctx, clients); err != nil {
		return nil, err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A cancelled run must not wait for replies that may never come:
	// expire every connection's deadline to wake blocked reads.
	stopWake := context.AfterFunc(runCtx, func() {
		for _, c := range clients {
			_ = c.conn.SetDeadline(time.Now())
		}
	})
	defer stopWake()
	st := &runState{}
	start := time.Now()
	if opts.Duration > 0 {
		st.deadline = start.Add(opts.Duration)
	}
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.loop(runCtx, st); err != nil {
				errOnce.Do(func() {
					firstErr = fmt.Errorf("client %d: %w", c.id, err)
					cancel()
				})
			}
		}()
	}
	stopProgress := startProgress(opts.Progress, &opts, st, start)
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()
	return collect(&opts, clients, elapsed), firstErr
}

// connectAll dials every client, 16 at a time.
func connectAll(ctx context.Context, clients []*client) error {
	sem := make(chan struct{}, 16)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		dialErr error
	)
	for _, c := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.dial(ctx); err != nil {
				mu.Lock()
				if dialErr == nil {
					dialErr = fmt.Errorf("connecting to %s: %w", c.o.Addr, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return dialErr
}

// startProgress prints a progress line to w every 250 ms until the
// returned function is called, which also clears the line.
func startProgress(w io.Writer, o *Options, st *runState, start time.Time) func() {
	if w == nil {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		var lastDone int64
		lastAt := start
		for {
			select {
			case <-stop:
				fmt.Fprint(w, "\r\033[K")
				return
			case now := <-t.C:
				done := st.done.Load()
				rate := float64(done-lastDone) / now.Sub(lastAt).Seconds()
				lastDone, lastAt = done, now
				var frac float64
				if o.Requests > 0 {
					frac = float64(done) / float64(o.Requests)
				} else {
					frac = float64(now.Sub(start)) / float64(o.Duration)
				}
				fmt.Fprintf(w, "\r\033[K%s %3.0f%% %d requests, %.0f req/s", bar(frac, 20), 100*min(frac, 1), done, rate)
			}
		}
	}()
	return func() {
		close(stop)
		<-finished
	}
}

// bar draws [=====>    ] for a fraction of 1.
func bar(frac float64, width int) string {
	frac = min(max(frac, 0), 1)
	full := int(frac * float64(width))
	var b strings.Builder
	b.WriteByte('[')
	for i := range width {
		switch {
		case i < full:
			b.WriteByte('=')
		case i == full:
			b.WriteByte('>')
		default:
			b.WriteByte(' ')
		}
	}
	b.WriteByte(']')
	return b.String()
}
