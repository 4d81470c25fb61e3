package core

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/redisconf"
)

// FuzzLoadConfig feeds arbitrary sentinel.conf text to LoadConfig. It must
// never panic; a refusal must be a *ConfigError naming one of the given
// directives; and an accepted config must survive a save and reload: the
// lines RewriteConfig writes load without error into a core that writes
// the same lines again (what a restarted sentinel relies on).
// Seeds are in testdata/fuzz/FuzzLoadConfig.
func FuzzLoadConfig(f *testing.F) {
	f.Add("sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 6380\n")
	f.Fuzz(func(t *testing.T, text string) {
		var dirs [][]string
		for _, line := range strings.Split(text, "\n") {
			words, err := redisconf.SplitArgs(line)
			if err != nil || len(words) == 0 || !strings.EqualFold(words[0], "sentinel") {
				continue
			}
			dirs = append(dirs, words[1:])
		}
		c, _ := newCfCore(t)
		err := c.LoadConfig(dirs, cfT0)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Index < 0 || ce.Index >= len(dirs) || ce.Reason == "" {
				t.Fatalf("bad error %#v for %q", err, dirs)
			}
			return
		}
		c.EnsureMyID() // as a starting sentinel does before its first save
		set, order := c.RewriteConfig()
		var lines [][]string
		for _, k := range order {
			for _, args := range set[k] {
				lines = append(lines, append(strings.Fields(k)[1:], args...))
			}
		}
		// Write and read back through the file syntax, as a restart does.
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(redisconf.FormatLine(append([]string{"sentinel"}, l...)...))
			b.WriteByte('\n')
		}
		c2, _ := newCfCore(t)
		if err := c2.LoadConfig(cfDirs(t, b.String()), cfT0); err != nil {
			t.Fatalf("saved config does not load: %v\n%s", err, b.String())
		}
		set2, _ := c2.RewriteConfig()
		if !reflect.DeepEqual(set, set2) {
			t.Fatalf("reloaded config differs:\n%q\n%q\nfile:\n%s", set, set2, b.String())
		}
	})
}
