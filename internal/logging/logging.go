// Package logging builds warden's zap loggers: one structured line per
// event, to stdout or to a file that SIGHUP reopens (for logrotate).
package logging

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Level maps Redis's loglevel names (debug, verbose, notice, warning,
// nothing) to zap levels.
func Level(name string) (zapcore.Level, error) {
	switch strings.ToLower(name) {
	case "debug":
		return zapcore.DebugLevel, nil
	case "verbose", "notice", "":
		return zapcore.InfoLevel, nil
	case "warning":
		return zapcore.WarnLevel, nil
	case "nothing":
		return zapcore.FatalLevel, nil
	}
	return 0, fmt.Errorf("invalid log level %q (want debug, verbose, notice, warning or nothing)", name)
}

// ReopenableFile is a log sink that can be reopened after logrotate moved
// the file away.
type ReopenableFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// OpenFile opens path for appending.
func OpenFile(path string) (*ReopenableFile, error) {
	r := &ReopenableFile{path: path}
	if err := r.Reopen(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reopen closes and reopens the file (SIGHUP).
func (r *ReopenableFile) Reopen() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file %s: %w", r.path, err)
	}
	r.mu.Lock()
	old := r.f
	r.f = f
	r.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return nil
}

func (r *ReopenableFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Write(p)
}

// Sync flushes the file.
func (r *ReopenableFile) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Sync()
}

// New returns a logger writing JSON-free console lines to path ("" for
// stdout) at the given Redis log level, tagged with the process role. The
// returned file is nil for stdout.
func New(role, path, level string) (*zap.Logger, *ReopenableFile, error) {
	lvl, err := Level(level)
	if err != nil {
		return nil, nil, err
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	var ws zapcore.WriteSyncer = zapcore.AddSync(os.Stdout)
	var file *ReopenableFile
	if path != "" {
		file, err = OpenFile(path)
		if err != nil {
			return nil, nil, err
		}
		ws = file
	}
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), ws, lvl)
	return zap.New(core).With(zap.String("role", role), zap.Int("pid", os.Getpid())), file, nil
}
