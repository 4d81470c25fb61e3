package redisconf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// RedisVersion is the Redis release whose config syntax this package
// follows; it appears in the FATAL CONFIG FILE ERROR banner.
const RedisVersion = "7.0.15"

// CommandLine is the File of directives that came from ParseArgs.
const CommandLine = "(command line)"

// Redis's own reasons, reused so operators see the texts they know.
const (
	reasonUnbalanced = "Unbalanced quotes in configuration line"
	reasonBadArgs    = "Bad directive or wrong number of arguments"
)

// maxFileSize bounds one config file. Redis has no limit, but an include of
// /dev/zero or a runaway generated file should fail with a message, not
// exhaust memory.
const maxFileSize = 32 << 20

// maxIncludeDepth bounds nesting through globs of distinct files, which the
// loop check (same file twice on the stack) does not catch.
const maxIncludeDepth = 32

// Directive is one non-comment line of a config file or one --option group
// of a command line.
type Directive struct {
	Name string   // first word, lower-cased (ASCII) as Redis does
	Args []string // remaining words, unquoted
	File string   // file the line came from (as named), or CommandLine
	Line int      // 1-based line number within File
}

// LineError reports a line that cannot be read. Error gives the compact
// "file:line: reason ('text')" form for logs; Fatal gives the banner Redis
// prints before exiting, for start-up failures that should look like Redis's.
type LineError struct {
	File   string
	Line   int
	Text   string // the line, trimmed as Redis trims it
	Reason string
	Err    error // underlying cause, if any (an open error for include)
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %s ('%s')", e.File, e.Line, e.Reason, e.Text)
}

// Fatal returns the message redis-server prints for a bad config line.
func (e *LineError) Fatal() string {
	return fmt.Sprintf("*** FATAL CONFIG FILE ERROR (Redis %s) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s",
		RedisVersion, e.Line, e.Text, e.Reason)
}

func (e *LineError) Unwrap() error { return e.Err }

// ParseFile reads a config file and the files it includes.
func ParseFile(path string) ([]Directive, error) {
	p := newParser()
	if err := p.file(path, nil); err != nil {
		return nil, err
	}
	return p.out, nil
}

// Parse reads config text from r; name is used in Directive.File and in
// errors. Includes are read from the file system, relative to the current
// directory as in Redis (not relative to the including file).
func Parse(r io.Reader, name string) ([]Directive, error) {
	return newParser().parse(r, name)
}

func (p *parser) parse(r io.Reader, name string) ([]Directive, error) {
	if abs, err := filepath.Abs(name); err == nil {
		p.stack = append(p.stack, abs)
	}
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading config file '%s': %w", name, err)
	}
	if err := p.text(data, name); err != nil {
		return nil, err
	}
	return p.out, nil
}

// ParseArgs reads command-line overrides the way redis-server does: each
// "--name" starts a directive and the words after it are its arguments, so
// `--port 6380 --save "" --replicaof 127.0.0.1 6379` gives three directives.
// Pass the arguments after the config file path (and without the "-" that
// asks redis-server to read stdin): those are the caller's business.
//
// The quirks are Redis's, reproduced because scripts depend on them: an
// option with no argument yet takes the next word even if it starts with
// "--" (`--requirepass --x`), except that a bare --save (or --sentinel)
// before another option or at the end means `save ""` (or `sentinel`); one
// word holding a name and values ("--save 900 1") is split like a config
// line; values are passed through verbatim, spaces and quotes included.
// Directive.Line counts option groups from 1 (in Redis's own messages the
// numbering continues after the config file's lines).
func ParseArgs(args []string) ([]Directive, error) {
	// Build the same text redis-server appends to the config: names raw,
	// values in sdscatrepr form, one option per line.
	var b strings.Builder
	handled := true // handled_last_config_arg
	for j, a := range args {
		if handled && strings.HasPrefix(a, "--") {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:])
			b.WriteByte(' ')
			if words, _ := SplitArgs(a); len(words) != 1 {
				handled = true // "--port 6380" in one word, or unparsable
				continue
			}
			handled = false
			last := j == len(args)-1
			nextIsOption := !last && strings.HasPrefix(args[j+1], "--")
			switch {
			case strings.EqualFold(a, "--save") && (last || nextIsOption):
				b.WriteString(`""`)
				handled = true
			case strings.EqualFold(a, "--sentinel") && nextIsOption:
				handled = true
			}
			continue
		}
		b.WriteString(quoteRepr(a))
		b.WriteByte(' ')
		handled = true
	}
	p := newParser()
	if err := p.text(b.String(), CommandLine); err != nil {
		return nil, err
	}
	return p.out, nil
}

type parser struct {
	out   []Directive
	stack []string // absolute paths of the files being read, for loop detection
	// The file system, replaceable so fuzzing cannot wander into /dev.
	open func(name string) (io.ReadCloser, error)
	glob func(pattern string) ([]string, error)
}

func newParser() *parser {
	return &parser{
		open: func(name string) (io.ReadCloser, error) { return os.Open(name) },
		glob: filepath.Glob,
	}
}

// file reads one file; at is the include line that named it (nil for the
// top-level file), so open failures point at the line to fix.
func (p *parser) file(path string, at *LineError) error {
	if len(p.stack) >= maxIncludeDepth {
		return p.atLine(at, fmt.Sprintf("includes nested deeper than %d files", maxIncludeDepth), nil)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	for _, s := range p.stack {
		if s == abs {
			return p.atLine(at, fmt.Sprintf("include loop: '%s' is already being read", path), nil)
		}
	}
	f, err := p.open(path)
	if err != nil {
		return p.atLine(at, fmt.Sprintf("can't open config file '%s': %s", path, errText(err)), err)
	}
	data, err := readAll(f)
	f.Close()
	if err != nil {
		return p.atLine(at, fmt.Sprintf("can't read config file '%s': %s", path, errText(err)), err)
	}
	p.stack = append(p.stack, abs)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	return p.text(data, path)
}

// atLine turns a file-level failure into an error: a LineError on the
// include line when there is one, a plain wrapped error otherwise.
func (p *parser) atLine(at *LineError, reason string, err error) error {
	if at == nil {
		return &fileError{msg: reason, err: err}
	}
	e := *at
	e.Reason, e.Err = reason, err
	return &e
}

func readAll(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxFileSize {
		return "", fmt.Errorf("larger than %d MB", maxFileSize>>20)
	}
	return string(data), nil
}

// text is loadServerConfigFromString: split on \n, trim, skip comments and
// blank lines, split into words, lower-case the name, expand includes.
func (p *parser) text(data, name string) error {
	lineNo := 0
	for len(data) > 0 {
		raw := data
		if i := strings.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = ""
		}
		lineNo++
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		le := &LineError{File: name, Line: lineNo, Text: line}
		// Redis reads files as C strings, which makes a NUL silently eat the
		// rest of the line and the newline after it. That is never what the
		// author meant, so it is an error here.
		if strings.IndexByte(line, 0) >= 0 {
			le.Text = strings.ReplaceAll(line, "\x00", `\x00`)
			le.Reason = "NUL byte in configuration line"
			return le
		}
		words, err := SplitArgs(line)
		if err != nil {
			le.Reason, le.Err = reasonUnbalanced, err
			return le
		}
		if len(words) == 0 {
			continue // only \v or \f: blank to Redis too
		}
		d := Directive{Name: LowerASCII(words[0]), Args: words[1:], File: name, Line: lineNo}
		if d.Name != "include" {
			p.out = append(p.out, d)
			continue
		}
		if len(d.Args) != 1 {
			le.Reason = reasonBadArgs
			return le
		}
		if err := p.include(d.Args[0], le); err != nil {
			return err
		}
	}
	return nil
}

// include follows Redis 7.0: a path with glob characters includes every
// match in sorted order and nothing when there is no match (so an empty
// conf.d is fine); a plain path must open.
func (p *parser) include(path string, at *LineError) error {
	if !strings.ContainsAny(path, "*?[") {
		return p.file(path, at)
	}
	matches, err := p.glob(path)
	if err != nil {
		return p.atLine(at, fmt.Sprintf("bad include pattern '%s': %s", path, err), err)
	}
	for _, m := range matches {
		if err := p.file(m, at); err != nil {
			return err
		}
	}
	return nil
}

// fileError is a failure of the top-level file itself, which has no line to
// point at. Its text already names the cause; Unwrap still exposes it so
// callers can test for fs.ErrNotExist.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// errText is strerror(errno) where there is one, as Redis prints it.
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}
