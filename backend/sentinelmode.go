package backend

// Sentinel mode and the embedding API.
//
// Redis's sentinel is redis-server started in sentinel mode: the same
// connection layer, HELLO/AUTH/CLIENT/pub-sub/RESP3, but a command table
// reduced to the commands flagged SENTINEL in Redis's command specs, a
// sentinel flavour of HELLO and INFO, and no persistence. warden does the
// same: a Server with Options.SentinelMode is the sentinel's client port,
// and the sentinel package adds SENTINEL, PUBLISH and ROLE to it with
// RegisterCommand and its INFO section with AddInfoSection.
//
// The per-server command table lives here too: every Server dispatches
// through its own map (a copy of the built-in table in normal mode), so a
// command registered on one server never leaks into another in the same
// process, and the lookup stays a single map index.

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/wardenhq/warden/internal/redisconf"
)

// SentinelPort is a sentinel's default port (Redis's
// REDIS_SENTINEL_PORT).
const SentinelPort = 26379

// sentinelBuiltins are the built-in commands a 7.0 sentinel has (Redis
// 7.0.15: ACL, AUTH, CLIENT, COMMAND, HELLO, INFO, PING, PUBLISH, ROLE,
// SENTINEL, SHUTDOWN and the four (un)subscribe commands), except PUBLISH,
// ROLE and SENTINEL, which only the sentinel package can implement. ACL is
// kept if the node has it.
var sentinelBuiltins = []string{"acl", "auth", "client", "command", "hello", "info", "ping",
	"psubscribe", "punsubscribe", "shutdown", "subscribe", "unsubscribe"}

// sentinelDroppedSubs are subcommands a 7.0 sentinel does not know: CLIENT
// SETINFO and NO-TOUCH arrived in 7.2, and clients that send SETINFO on
// connect expect the unknown-subcommand error from a 7.0 sentinel.
var sentinelDroppedSubs = map[string][]string{"client": {"setinfo", "no-touch"}}

// sentinelInfoSections are the built-in INFO sections of a sentinel, in
// the order Redis prints them.
var sentinelInfoSections = []string{"server", "clients", "stats", "cpu"}

// extState is what an embedder attaches to a Server. Guarded by Server.mu
// except shutdownOnce.
type extState struct {
	info         []addedInfoSection
	onShutdown   []func()
	shutdownOnce sync.Once
}

type addedInfoSection struct {
	name, title string
	fn          func() string
}

// DefaultSentinelOptions returns the defaults of a sentinel: Redis's
// defaults with initSentinelConfig's changes (port 26379, protected mode
// off) and no persistence.
func DefaultSentinelOptions() *Options {
	o := DefaultOptions()
	o.SentinelMode = true
	o.Port = SentinelPort
	o.ProtectedMode = false
	o.Save = nil
	o.AppendOnly = false
	return o
}

// initCommands builds the server's command table; in sentinel mode it also
// switches persistence off whatever the options say, since a sentinel's
// state lives in its config file only.
func (s *Server) initCommands() {
	if !s.opts.SentinelMode {
		// Commands are shared with the built-in table: nothing mutates
		// them after init, and RegisterCommand installs copies.
		s.cmds = maps.Clone(commands)
		return
	}
	s.opts.Save = nil
	s.opts.AppendOnly = false
	s.cmds = make(map[string]*Command, len(sentinelBuiltins)+3)
	for _, name := range sentinelBuiltins {
		cmd := commands[name]
		if cmd == nil {
			continue // ACL: not implemented by this node
		}
		if drop := sentinelDroppedSubs[name]; len(drop) > 0 {
			cp := *cmd
			cp.Sub = maps.Clone(cmd.Sub)
			for _, d := range drop {
				delete(cp.Sub, d)
			}
			cmd = &cp
		}
		s.installCommand(cmd)
	}
}

// installCommand puts a copy of cmd (and of its subcommands, whose Parent
// is set to the copy) in the table. Caller holds s.mu or owns s.
func (s *Server) installCommand(cmd *Command) {
	cp := *cmd
	cp.Name = strings.ToLower(cmd.Name)
	if len(cmd.Sub) > 0 {
		cp.Sub = make(map[string]*Command, len(cmd.Sub))
		for k, sc := range cmd.Sub {
			sub := *sc
			sub.Parent = &cp
			cp.Sub[strings.ToLower(k)] = &sub
		}
	}
	s.cmds[cp.Name] = &cp
}

// RegisterCommand adds a command to this server's table, replacing any
// command of the same name (in sentinel mode the sentinel package adds
// SENTINEL, PUBLISH and ROLE this way). Name is the lower-case command
// name; a container sets Sub (keyed by lower-case subcommand name, each
// named "parent|sub") and may leave Proc nil. The other fields are what
// COMMAND INFO/DOCS/LIST/COUNT report. A copy of cmd is stored, so later
// changes to cmd have no effect. Call it before Start; it takes the server
// lock, so a late call is safe but races with clients already connected.
// A command that could not run (no Proc and no subcommands, or a
// subcommand without Proc) is refused and logged.
func (s *Server) RegisterCommand(cmd *Command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkCommand(cmd); err != nil {
		s.log.Error("RegisterCommand: command refused", zap.String("event", "register-command-refused"), zap.Error(err))
		return
	}
	s.installCommand(cmd)
}

func checkCommand(cmd *Command) error {
	if cmd == nil || cmd.Name == "" || strings.ContainsAny(cmd.Name, " |") {
		return errors.New("a command needs a name without spaces or '|'")
	}
	if cmd.Proc == nil && len(cmd.Sub) == 0 {
		return fmt.Errorf("command %q has neither Proc nor subcommands", cmd.Name)
	}
	for k, sc := range cmd.Sub {
		if sc == nil || sc.Proc == nil {
			return fmt.Errorf("subcommand %q of %q has no Proc", k, cmd.Name)
		}
	}
	return nil
}

// commandNames lists the names of this server's commands, sorted.
func (s *Server) commandNames() []string {
	return slices.Sorted(maps.Keys(s.cmds))
}

// AddInfoSection adds a section to INFO: "# <title>" followed by what fn
// returns, which must be whole "field:value\r\n" lines. name (matched
// case-insensitively) selects it in INFO <section>; it is also part of
// INFO, INFO default, all and everything. Added sections come after the
// built-in ones, in the order they were added; adding a name again
// replaces that section. fn runs with the server lock held (INFO is a
// command), so it must not call back into the Server's locking methods
// (PublishMessage, Lock, RegisterCommand...). A built-in section name is
// refused and logged.
func (s *Server) AddInfoSection(name, title string, fn func() string) {
	name = strings.ToLower(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(infoSectionOrder, name) || fn == nil ||
		name == "default" || name == "all" || name == "everything" || name == "" {
		s.log.Error("AddInfoSection: section refused", zap.String("event", "info-section-refused"), zap.String("section", name))
		return
	}
	sec := addedInfoSection{name: name, title: title, fn: fn}
	for i, x := range s.ext.info {
		if x.name == name {
			s.ext.info[i] = sec
			return
		}
	}
	s.ext.info = append(s.ext.info, sec)
}

// addedInfoSections writes the AddInfoSection sections that want selects,
// each separated from what precedes it by a blank line, as Redis does.
func (s *Server) addedInfoSections(b *strings.Builder, want func(name string) bool) {
	for _, x := range s.ext.info {
		if !want(x.name) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# ")
		b.WriteString(x.title)
		b.WriteString("\r\n")
		b.WriteString(x.fn())
	}
}

// genSentinelInfo is a sentinel's INFO (sentinelInfoCommand): only the
// sections server, clients, stats and cpu, then the added ones; no
// argument, "default", "all" or "everything" anywhere in the arguments
// selects every section, and unknown names are dropped silently.
func (s *Server) genSentinelInfo(args [][]byte) string {
	all := len(args) == 0
	want := map[string]bool{}
	for _, a := range args {
		switch name := strings.ToLower(string(a)); name {
		case "default", "all", "everything":
			all = true
		default:
			want[name] = true
		}
	}
	var b strings.Builder
	for _, sec := range sentinelInfoSections {
		if !all && !want[sec] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		s.infoSection(&b, sec)
	}
	s.addedInfoSections(&b, func(name string) bool { return all || want[name] })
	return b.String()
}

// PublishMessage publishes msg on channel from outside a command (the
// sentinel's events) and returns how many subscribers received it; RESP3
// subscribers get push frames, as with PUBLISH. It takes the server lock:
// from inside a command's Proc, where the lock is held, use Publish.
func (s *Server) PublishMessage(channel, msg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Publish([]byte(channel), []byte(msg))
}

// Server is the server the client is connected to.
func (c *Client) Server() *Server { return c.srv }

// ReplyHelp replies a HELP text in Redis's format: "<COMMAND> <subcommand>
// [<arg> [value] [opt] ...]. Subcommands are:", the lines, then HELP's own
// two lines, all as status strings.
func (c *Client) ReplyHelp(lines []string) { helpReply(c, lines) }

// OnShutdown registers f to run when SHUTDOWN or Terminate (SIGTERM) stops
// the server: after the shutdown was decided, before the listeners close.
// The callbacks run once, in registration order, on a goroutine of their
// own without the server lock, so they may use PublishMessage or even call
// Shutdown. A direct call to Shutdown (the embedder stopping the server)
// does not run them.
func (s *Server) OnShutdown(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ext.onShutdown = append(s.ext.onShutdown, f)
}

// stopAfterHooks runs the OnShutdown callbacks, once, then stops the
// server. Caller must not hold s.mu.
func (s *Server) stopAfterHooks() {
	s.ext.shutdownOnce.Do(func() {
		s.mu.Lock()
		hooks := slices.Clone(s.ext.onShutdown)
		s.mu.Unlock()
		for _, f := range hooks {
			f()
		}
	})
	s.Shutdown()
}

// readyToExitText is the last log line of a shutdown; a sentinel says so.
func (s *Server) readyToExitText() string {
	if s.opts.SentinelMode {
		return "Sentinel is now ready to exit, bye bye..."
	}
	return "Redis is now ready to exit, bye bye..."
}

// Start-up errors of a sentinel, with Redis's texts.
const errSentinelNoConfig = "Sentinel needs config file on disk to save state. Exiting..."

// configWritable checks that the sentinel can rewrite its config file
// (access(2) with W_OK, as Redis); a variable so tests can fail it even as
// root, which access never refuses.
var configWritable = func(path string) error { return unix.Access(path, unix.W_OK) }

// LoadSentinelConfig is LoadConfig for a sentinel (redis-sentinel
// sentinel.conf [--directive value ...]): the options start from
// DefaultSentinelOptions, the ordinary directives of the file and of args
// apply as usual, and the "sentinel ..." directives (file lines and
// "--sentinel monitor ..." arguments alike) are returned unapplied, in
// order, with their file and line, for the sentinel package. A bare
// "sentinel" (the --sentinel flag) is ignored, as Redis does. save and
// appendonly are ignored with a warning: a sentinel has no dataset.
//
// The file is required and must be writable, since the sentinel rewrites it
// to keep its state; the errors then carry Redis's texts.
func LoadSentinelConfig(path string, args []string, log *zap.Logger) (*Options, []redisconf.Directive, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if path == "" {
		return nil, nil, errors.New(errSentinelNoConfig)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, err
	}
	dirs, err := redisconf.ParseFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(args) > 0 {
		d, err := redisconf.ParseArgs(args)
		if err != nil {
			return nil, nil, err
		}
		dirs = append(dirs, d...)
	}
	var plain, sentinel []redisconf.Directive
	for _, d := range dirs {
		switch {
		case d.Name != "sentinel":
			plain = append(plain, d)
		case len(d.Args) > 0:
			sentinel = append(sentinel, d)
		}
	}
	o := DefaultSentinelOptions()
	o.ConfigFile = abs
	if err := applyDirectives(o, plain, log); err != nil {
		return nil, nil, err
	}
	if len(o.Save) > 0 || o.AppendOnly {
		log.Warn("save and appendonly are ignored in sentinel mode: a sentinel keeps its state in its config file",
			zap.String("event", "config-ignored"))
		o.Save, o.AppendOnly = nil, false
	}
	if err := configWritable(abs); err != nil {
		return nil, nil, fmt.Errorf("Sentinel config file %s is not writable: %s. Exiting...", abs, strerror(err))
	}
	return o, sentinel, nil
}
