package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// WardenBinEnv names an environment variable that, when set, is the path of
// a prebuilt warden binary for BuildWarden to use instead of building one
// (CI builds once and shares it between test binaries).
const WardenBinEnv = "WARDEN_BIN"

// WardenRaceEnv names an environment variable that, when set, makes
// BuildWarden build with the race detector, so end-to-end tests also look
// for data races in the server (slower).
const WardenRaceEnv = "WARDEN_RACE"

var wardenBuild struct {
	once sync.Once
	dir  string // temporary directory holding the binary; "" when prebuilt
	path string
	err  error
}

// BuildWarden returns the path of a warden binary built from this module's
// cmd/warden. The first call in a test binary runs `go build` into a
// temporary directory; later calls reuse the result (or its error, so a
// broken build fails every test that needs it with the compiler's output
// rather than rebuilding each time). Call RemoveWardenBuild from TestMain to
// delete the temporary directory.
func BuildWarden(t testing.TB) string {
	t.Helper()
	wardenBuild.once.Do(func() {
		if p := os.Getenv(WardenBinEnv); p != "" {
			wardenBuild.path, wardenBuild.err = filepath.Abs(p)
			if wardenBuild.err == nil {
				_, wardenBuild.err = os.Stat(wardenBuild.path)
			}
			return
		}
		wardenBuild.path, wardenBuild.dir, wardenBuild.err = buildWarden()
	})
	if wardenBuild.err != nil {
		t.Fatalf("testutil: building warden: %v", wardenBuild.err)
	}
	return wardenBuild.path
}

// RemoveWardenBuild deletes the binary BuildWarden built, if any. It is
// meant for TestMain, after m.Run.
func RemoveWardenBuild() {
	if wardenBuild.dir != "" {
		os.RemoveAll(wardenBuild.dir)
	}
}

func buildWarden() (path, dir string, err error) {
	root, err := moduleRoot()
	if err != nil {
		return "", "", err
	}
	goBin := "go"
	if gr := os.Getenv("GOROOT"); gr != "" {
		if p := filepath.Join(gr, "bin", "go"); fileExists(p) {
			goBin = p
		}
	}
	dir, err = os.MkdirTemp("", "warden-build-")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "warden")
	args := []string{"build", "-o", path}
	if os.Getenv(WardenRaceEnv) != "" {
		args = append(args, "-race")
	}
	cmd := exec.Command(goBin, append(args, "./cmd/warden")...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return "", "", fmt.Errorf("go build ./cmd/warden in %s: %v\n%s", root, err, out)
	}
	return path, dir, nil
}

// moduleRoot finds the directory of go.mod above the working directory
// (go test runs each package in its own directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// StartWarden builds warden (once) and starts a node on a free port of
// 127.0.0.1, in a temporary directory, with no save points:
//
//	warden server [config-file] --port <free> --bind 127.0.0.1 \
//	    --dir <tmp> --save "" [args...]
//
// As with StartRedis, args come last so they override the defaults, and an
// args[0] not starting with "-" is a config file placed first. It returns
// once the node answers PING (NOAUTH counts as an answer).
func StartWarden(t testing.TB, args ...string) *Proc {
	t.Helper()
	bin := BuildWarden(t)
	var conf []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		abs, err := filepath.Abs(args[0])
		if err != nil {
			t.Fatalf("testutil: config file %s: %v", args[0], err)
		}
		conf, args = []string{abs}, args[1:]
	}
	fixedPort := 0
	if v := lastOption(args, "--port"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("testutil: bad --port %q", v)
		}
		fixedPort = n
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := fixedPort
		if port == 0 {
			port = FreePort(t)
		}
		dir := t.TempDir()
		argv := append([]string{"server"}, conf...)
		argv = append(argv, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "")
		argv = append(argv, args...)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p, err := startProcess(t, bin, argv, dir, port, PingReady(addr))
		if err == nil {
			return p
		}
		lastErr = err
		// A lost race for the port: try another one.
		if fixedPort != 0 || !strings.Contains(err.Error(), "address already in use") &&
			!strings.Contains(err.Error(), "Address already in use") {
			break
		}
	}
	t.Fatalf("testutil: %v", lastErr)
	return nil
}
