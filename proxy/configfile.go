package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wardenhq/warden/internal/logging"
)

// Defaults of the settings a zero value leaves open. configs/proxy.yaml
// documents them for users; keep the two in step.
const (
	defaultHTTP                  = "127.0.0.1:8404"
	defaultBind                  = "127.0.0.1"
	defaultLogLevel              = "notice"
	defaultMaxClients            = 10000
	defaultClientOutputLimit     = 64 << 20
	defaultFailoverHold          = 5 * time.Second
	defaultHoldQueue             = 10000
	defaultMaxReplicaLag         = 1 << 20
	defaultReadBalance           = "round-robin"
	defaultBackendConnectTimeout = time.Second
	defaultBackendReplyTimeout   = 10 * time.Second
	// The external sentinels' poll interval, as sentinel.Watcher's own
	// default, written out so that /status and the logs show it.
	defaultSentinelPoll = time.Second
	// Static checks: HAProxy's fall and rise defaults, with its inter
	// shortened from 2 s to the 1 s that Redis setups behind HAProxy use.
	defaultCheckInterval = time.Second
	defaultCheckFall     = 3
	defaultCheckRise     = 2
)

// readBalances are the read-port policies routing.NewBalancer knows.
var readBalances = []string{"round-robin", "least-outstanding"}

// DefaultConfig returns a configuration with every default set and no
// group. LoadConfig decodes the file over it, so that a key the file
// leaves out keeps its default while a key given empty means empty (http:
// "" turns the HTTP server off).
func DefaultConfig() *Config {
	return &Config{
		HTTP:              defaultHTTP,
		Bind:              defaultBind,
		MaxClients:        defaultMaxClients,
		ClientOutputLimit: defaultClientOutputLimit,
		LogLevel:          defaultLogLevel,
	}
}

// ConfigError is one problem in a proxy configuration. Key names the
// setting as the file spells it ("groups[1].read"); File and Line locate
// it when the configuration came from a file (LoadConfig), and are empty
// for one built in code.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadConfig reads a proxy.yaml, applies the defaults and validates it
// (Normalize). Unknown keys, keys given twice and values of the wrong type
// are errors naming the line. Relative paths in it (logfile, an embedded
// sentinel's config) are taken relative to the file's directory, so the
// proxy finds the same files whatever directory it is started from. All
// the problems found are reported at once, one *ConfigError each (joined
// with errors.Join when there are several).
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("proxy config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("proxy config: %w", err)
	}
	return parseConfig(data, path, filepath.Dir(abs))
}

// parseConfig is LoadConfig without the file system: data is the file's
// content, name how errors call it, baseDir what relative paths are
// relative to.
func parseConfig(data []byte, name, baseDir string) (*Config, error) {
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil {
		// A second document would be silently ignored otherwise.
		var extra yaml.Node
		if dec.Decode(&extra) != io.EOF {
			return nil, &ConfigError{File: name, Msg: "more than one YAML document (a line \"---\" ends the first)"}
		}
	}
	var idx keyIndex
	var root yaml.Node
	if yaml.Unmarshal(data, &root) == nil {
		idx = indexKeys(&root)
	}
	switch {
	case err == io.EOF:
		// An empty file: Normalize says what is missing.
	case err != nil:
		return nil, yamlErrors(err, name, idx)
	}
	for i := range cfg.Groups {
		if e := cfg.Groups[i].Embedded; e != nil && e.ConfigFile != "" && !filepath.IsAbs(e.ConfigFile) {
			e.ConfigFile = filepath.Join(baseDir, e.ConfigFile)
		}
	}
	if cfg.LogFile != "" && !filepath.IsAbs(cfg.LogFile) {
		cfg.LogFile = filepath.Join(baseDir, cfg.LogFile)
	}
	if err := cfg.Normalize(); err != nil {
		return nil, locate(err, name, idx)
	}
	return cfg, nil
}

// keyIndex maps the keys of a YAML document ("groups[1].read") to their
// lines, and lines back to the key on them.
type keyIndex struct {
	lines map[string]int
	keys  map[int]string
}

func indexKeys(root *yaml.Node) keyIndex {
	idx := keyIndex{lines: make(map[string]int), keys: make(map[int]string)}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				idx.add(p, k.Line)
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				idx.add(p, c.Line)
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return idx
}

func (idx keyIndex) add(path string, line int) {
	if _, ok := idx.lines[path]; !ok {
		idx.lines[path] = line
	}
	if _, ok := idx.keys[line]; !ok {
		idx.keys[line] = path
	}
}

// line returns the line of key, or of its nearest ancestor in the file
// when the key itself is missing (a required key left out is reported on
// its group's line).
func (idx keyIndex) line(key string) int {
	for key != "" {
		if l, ok := idx.lines[key]; ok {
			return l
		}
		cut := strings.LastIndexAny(key, ".[")
		if cut < 0 {
			break
		}
		key = key[:cut]
	}
	return 0
}

// locate stamps the file name and lines on Normalize's errors.
func locate(err error, name string, idx keyIndex) error {
	errs := splitErrors(err)
	for _, e := range errs {
		var ce *ConfigError
		if errors.As(e, &ce) {
			ce.File = name
			if ce.Line == 0 && idx.lines != nil {
				ce.Line = idx.line(ce.Key)
			}
		}
	}
	return joinErrors(errs)
}

func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

var (
	yamlLineRE      = regexp.MustCompile(`^line (\d+): (.*)$`)
	yamlSyntaxRE    = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlUnknownRE   = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	yamlTwiceRE     = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	yamlUnmarshalRE = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// yamlErrors turns yaml.v3's errors into ConfigErrors that say what is
// wrong in the words of the file (key, expected value) rather than of Go
// types.
func yamlErrors(err error, name string, idx keyIndex) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		msg := err.Error()
		if m := yamlSyntaxRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &ConfigError{File: name, Line: line, Msg: m[2]}
		}
		return &ConfigError{File: name, Msg: strings.TrimPrefix(msg, "yaml: ")}
	}
	errs := make([]error, 0, len(te.Errors))
	for _, s := range te.Errors {
		ce := &ConfigError{File: name, Msg: s}
		if m := yamlLineRE.FindStringSubmatch(s); m != nil {
			ce.Line, _ = strconv.Atoi(m[1])
			ce.Msg = m[2]
			ce.Key = idx.keys[ce.Line]
		}
		if m := yamlUnknownRE.FindStringSubmatch(ce.Msg); m != nil {
			ce.Msg = fmt.Sprintf("unknown key %q", m[1])
		} else if m := yamlTwiceRE.FindStringSubmatch(ce.Msg); m != nil {
			ce.Msg = fmt.Sprintf("key %q given twice (first at line %s)", m[1], m[2])
		} else if m := yamlUnmarshalRE.FindStringSubmatch(ce.Msg); m != nil {
			ce.Msg = badValue(m[1], m[2], m[3])
		}
		errs = append(errs, ce)
	}
	return joinErrors(errs)
}

// badValue explains a value yaml.v3 could not store: yamlTag is its YAML
// type, value its text, goType the Go type it was meant for.
func badValue(yamlTag, value, goType string) string {
	switch {
	case goType == "time.Duration" && (yamlTag == "int" || yamlTag == "float"):
		return fmt.Sprintf("duration %s needs a unit, e.g. %ss or %sms", value, value, value)
	case goType == "time.Duration":
		return fmt.Sprintf("invalid duration %q (want e.g. 500ms, 5s, 1m)", value)
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return fmt.Sprintf("want an integer, not %q", value)
	case goType == "bool":
		return fmt.Sprintf("want true or false, not %q", value)
	case goType == "string":
		return fmt.Sprintf("want a string, not %s", yamlKind(yamlTag))
	case strings.HasPrefix(goType, "[]"):
		return fmt.Sprintf("want a list, not %s", yamlKind(yamlTag))
	}
	return fmt.Sprintf("want a mapping of keys, not %s", yamlKind(yamlTag))
}

// yamlKind names a YAML type, article included.
func yamlKind(tag string) string {
	switch tag {
	case "map":
		return "a mapping"
	case "seq":
		return "a list"
	case "str":
		return "a string"
	case "int":
		return "an integer"
	case "float":
		return "a number"
	case "bool":
		return "a boolean"
	case "null":
		return "null"
	}
	return "!!" + tag
}

// Normalize applies the defaults to the settings left zero and validates
// the configuration. Zero means "the default" for every number and
// duration except client-idle-timeout (0 = never); an empty http means no
// HTTP server (DefaultConfig, and so LoadConfig, start from the default
// address). Listener addresses come out canonical: a bare port ("5000")
// takes the bind address, so every listener is host:port.
//
// The checks: at least one group; each with a unique name, a write
// listener and exactly one topology source; addresses well formed; no two
// listeners (HTTP included) on the same address; credentials complete;
// and, like Redis's protected mode, no listener off loopback unless
// requirepass is set. Every problem is reported, one *ConfigError each.
// Normalize is idempotent.
func (c *Config) Normalize() error {
	var v validator
	if c.Bind == "" {
		c.Bind = defaultBind
	}
	if !validHost(c.Bind) {
		v.add("bind", "invalid address %q (want an IP address or host name, without port)", c.Bind)
	}
	if c.LogLevel == "" {
		c.LogLevel = defaultLogLevel
	}
	if _, err := logging.Level(c.LogLevel); err != nil {
		v.add("loglevel", "%v", err)
	}
	v.defaultInt("maxclients", &c.MaxClients, defaultMaxClients)
	v.defaultInt64("client-output-limit", &c.ClientOutputLimit, defaultClientOutputLimit)
	if c.ClientIdleTimeout < 0 {
		v.add("client-idle-timeout", "negative duration %v (0 means never)", c.ClientIdleTimeout)
	}
	listeners := newListenerSet()
	if c.HTTP != "" {
		c.HTTP = v.listener("http", c.HTTP, c.Bind, c.RequirePass, listeners, false)
	}
	if len(c.Groups) == 0 {
		v.add("groups", "no groups: at least one is needed (name, write listener, topology source)")
	}
	names := make(map[string]int)
	for i := range c.Groups {
		c.Groups[i].normalize(&v, fmt.Sprintf("groups[%d]", i), c, listeners, names, i)
	}
	return v.err()
}

func (g *GroupConfig) normalize(v *validator, key string, c *Config, ls *listenerSet, names map[string]int, i int) {
	switch {
	case g.Name == "":
		v.add(key+".name", "missing: the group's sentinel master name, e.g. mymaster")
	case strings.IndexFunc(g.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		// Sentinels send the name inside space-separated messages.
		v.add(key+".name", "invalid name %q: no spaces or control characters", g.Name)
	default:
		if j, dup := names[g.Name]; dup {
			v.add(key+".name", "name %q already used by groups[%d]", g.Name, j)
		} else {
			names[g.Name] = i
		}
	}
	if g.Write == "" {
		v.add(key+".write", "missing: the write listener, e.g. 127.0.0.1:5000")
	} else {
		g.Write = v.listener(key+".write", g.Write, c.Bind, c.RequirePass, ls, true)
	}
	if g.Read != "" {
		g.Read = v.listener(key+".read", g.Read, c.Bind, c.RequirePass, ls, true)
	}
	if g.Smart != "" {
		g.Smart = v.listener(key+".smart", g.Smart, c.Bind, c.RequirePass, ls, true)
	}

	var sources []string
	if g.Embedded != nil {
		sources = append(sources, "embedded-sentinel")
		if g.Embedded.ConfigFile == "" {
			v.add(key+".embedded-sentinel.config", "missing: the embedded sentinel's sentinel.conf (it must be writable)")
		}
	}
	if s := g.Sentinels; s != nil {
		sources = append(sources, "sentinels")
		if len(s.Addrs) == 0 {
			v.add(key+".sentinels.addrs", "missing: the sentinels' host:port addresses")
		}
		// A sentinel listed twice would count twice towards the majority.
		v.remotes(key+".sentinels.addrs", "sentinel", s.Addrs)
		if s.User != "" && s.Pass == "" {
			v.add(key+".sentinels.user", "user set without pass")
		}
		v.defaultDuration(key+".sentinels.poll-interval", &s.PollInterval, defaultSentinelPoll)
	}
	if s := g.Static; s != nil {
		sources = append(sources, "static")
		if len(s.Nodes) == 0 {
			v.add(key+".static.nodes", "missing: the nodes' host:port addresses")
		}
		v.remotes(key+".static.nodes", "node", s.Nodes)
		v.defaultDuration(key+".static.interval", &s.Interval, defaultCheckInterval)
		v.defaultInt(key+".static.fall", &s.Fall, defaultCheckFall)
		v.defaultInt(key+".static.rise", &s.Rise, defaultCheckRise)
	}
	switch len(sources) {
	case 0:
		v.add(key, "no topology source: set one of embedded-sentinel, sentinels, static")
	case 1:
	default:
		v.add(key, "%s: set exactly one topology source", strings.Join(sources, " and "))
	}

	if g.NodeUser != "" && g.NodePass == "" {
		v.add(key+".node-user", "node-user set without node-pass")
	}
	v.defaultDuration(key+".failover-hold", &g.FailoverHold, defaultFailoverHold)
	v.defaultInt(key+".hold-queue", &g.HoldQueue, defaultHoldQueue)
	v.defaultInt64(key+".max-replica-lag", &g.MaxReplicaLag, defaultMaxReplicaLag)
	if g.ReadBalance == "" {
		g.ReadBalance = defaultReadBalance
	} else if !contains(readBalances, g.ReadBalance) {
		v.add(key+".read-balance", "unknown policy %q (want %s)", g.ReadBalance, strings.Join(readBalances, " or "))
	}
	if g.ReadFallback == nil {
		yes := true
		g.ReadFallback = &yes
	}
	v.defaultDuration(key+".backend-connect-timeout", &g.BackendConnectTimeout, defaultBackendConnectTimeout)
	v.defaultDuration(key+".backend-reply-timeout", &g.BackendReplyTimeout, defaultBackendReplyTimeout)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validator collects Normalize's problems.
type validator struct{ errs []error }

func (v *validator) add(key, format string, args ...any) {
	v.errs = append(v.errs, &ConfigError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return joinErrors(v.errs)
}

func (v *validator) defaultInt(key string, p *int, def int) {
	switch {
	case *p < 0:
		v.add(key, "negative value %d", *p)
	case *p == 0:
		*p = def
	}
}

func (v *validator) defaultInt64(key string, p *int64, def int64) {
	switch {
	case *p < 0:
		v.add(key, "negative value %d", *p)
	case *p == 0:
		*p = def
	}
}

func (v *validator) defaultDuration(key string, p *time.Duration, def time.Duration) {
	switch {
	case *p < 0:
		v.add(key, "negative duration %v", *p)
	case *p == 0:
		*p = def
	}
}

// listener checks and canonicalises a listener address (see
// listenAddress), refuses it off loopback without a password, and
// records it in ls to catch two listeners on one address. It returns the
// canonical address (s itself when invalid).
func (v *validator) listener(key, s, bind, requirepass string, ls *listenerSet, redis bool) string {
	addr, host, port, err := listenAddress(s, bind)
	if err != nil {
		v.add(key, "%v", err)
		return s
	}
	if redis && requirepass == "" && !isLoopback(host) {
		v.add(key, "%s is not a loopback address and requirepass is not set: set requirepass, or listen on 127.0.0.1 "+
			"(like Redis's protected mode, the proxy does not open an unprotected port to the network)", addr)
	}
	if other := ls.add(key, host, port); other != "" {
		v.add(key, "address %s already used by %s", addr, other)
	}
	return addr
}

// remotes checks and canonicalises, in place, a list of addresses the
// proxy dials (what names them in messages: "node", "sentinel"); one
// listed twice is an error.
func (v *validator) remotes(key, what string, addrs []string) {
	seen := make(map[string]bool)
	for j, a := range addrs {
		k := fmt.Sprintf("%s[%d]", key, j)
		a, ok := v.remote(k, a)
		addrs[j] = a
		if ok && seen[a] {
			v.add(k, "%s %s listed twice", what, a)
		}
		seen[a] = true
	}
}

// remote checks and canonicalises the address of a node or sentinel the
// proxy dials.
func (v *validator) remote(key, s string) (string, bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		v.add(key, "invalid address %q (want host:port)", s)
		return s, false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		v.add(key, "invalid port in %q", s)
		return s, false
	}
	if !validHost(host) {
		v.add(key, "invalid host in %q", s)
		return s, false
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), true
}

// listenAddress canonicalises a listener address: a bare port takes the
// bind address; host:port keeps its host ("" = every interface). Port 0
// asks the kernel for a free port.
func listenAddress(s, bind string) (addr, host string, port int, err error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		s = net.JoinHostPort(bind, s)
	}
	host, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", "", 0, fmt.Errorf("invalid address %q (want host:port, or a port to listen on the bind address)", s)
	}
	port, err = strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", "", 0, fmt.Errorf("invalid port in %q", s)
	}
	if host != "" && !validHost(host) {
		return "", "", 0, fmt.Errorf("invalid host in %q", s)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), host, port, nil
}

// validHost accepts an IP address (with an IPv6 zone) or a DNS name.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// listenerSet finds two listeners on one address: the same port on the
// same host, or on any host when either listens on every interface.
// Port 0 never clashes (the kernel picks a free port each time).
type listenerSet struct{ byPort map[int][]listenerUse }

type listenerUse struct{ key, host string }

func newListenerSet() *listenerSet { return &listenerSet{byPort: make(map[int][]listenerUse)} }

// add records a listener and returns the key of one it clashes with, or
// "".
func (s *listenerSet) add(key, host string, port int) string {
	if port == 0 {
		return ""
	}
	h := canonicalHost(host)
	for _, u := range s.byPort[port] {
		if u.host == h || u.host == "" || h == "" {
			return u.key
		}
	}
	s.byPort[port] = append(s.byPort[port], listenerUse{key, h})
	return ""
}

// canonicalHost folds the spellings of one interface together; "" is
// every interface.
func canonicalHost(h string) string {
	if strings.EqualFold(h, "localhost") {
		return "127.0.0.1"
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.IsUnspecified() {
			return ""
		}
		return a.Unmap().String()
	}
	return strings.ToLower(h)
}
