package sentinel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wardenhq/warden/internal/testutil"
	"github.com/wardenhq/warden/sentinel/core"
)

// publisher records what the shell publishes on the client port.
type publisher struct {
	mu  sync.Mutex
	msg []string
}

func (p *publisher) publish(channel, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msg = append(p.msg, channel+" "+msg)
}

func (p *publisher) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.msg...)
}

// newEventShell returns a started shell with a publisher and an observed
// logger, and a Sentinel around it for Subscribe.
func newEventShell(t *testing.T, timing core.Timing) (*Sentinel, *recorder, *publisher, *observer.ObservedLogs) {
	obs, logs := observer.New(zapcore.DebugLevel)
	pub := &publisher{}
	rec := &recorder{}
	sh := newShellWith(shellDeps{
		with:      rec.with,
		handshake: testHandshake,
		timing:    func() core.Timing { return timing },
		publish:   pub.publish,
		log:       zap.New(obs),
	})
	rec.sh = sh
	t.Cleanup(sh.stop)
	return &Sentinel{shell: sh}, rec, pub, logs
}

// writeScript writes an executable shell script and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func masterWithReplica(script string) (*core.Instance, *core.Instance) {
	m := &core.Instance{Kind: core.KindMaster, Name: "mymaster", Addr: core.Addr{Host: "127.0.0.1", Port: 6379},
		Link: &core.Link{}, NotificationScript: script}
	r := &core.Instance{Kind: core.KindReplica, Name: "127.0.0.1:6380", Addr: core.Addr{Host: "127.0.0.1", Port: 6380},
		Link: &core.Link{}, Master: m}
	return m, r
}

func TestEventsLogPublishSubscribe(t *testing.T) {
	s, rec, pub, logs := newEventShell(t, testTiming)
	sh := s.shell
	ch, unsubscribe := s.Subscribe(16)
	m, r := masterWithReplica("")
	evs := []core.Event{
		{Type: "+monitor", Level: core.LevelWarning, Payload: "master mymaster 127.0.0.1 6379 quorum 2", Instance: m, Master: "mymaster"},
		{Type: "+sdown", Level: core.LevelWarning, Payload: "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379", Instance: r, Master: "mymaster"},
		{Type: "+role-change", Level: core.LevelVerbose, Payload: "slave x", Instance: r, Master: "mymaster"},
		{Type: "+reboot", Level: core.LevelNotice, Payload: "master y", Instance: m, Master: "mymaster"},
		{Type: "+script-child", Level: core.LevelDebug, Payload: "1234"},
		{Type: "+tilt", Level: core.LevelWarning, Payload: "#tilt mode entered"},
	}
	// Events emitted before start are kept until it.
	rec.locked(func() { sh.Event(evs[0]) })
	sh.start()
	rec.locked(func() {
		for _, ev := range evs[1:] {
			sh.Event(ev)
		}
	})
	for i, want := range evs {
		select {
		case got := <-ch:
			if got != (Event{Type: want.Type, Level: want.Level, Master: want.Master, Payload: want.Payload}) {
				t.Errorf("event %d = %+v, want %+v", i, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d not delivered", i)
		}
	}
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		return len(pub.all()) == 5, fmt.Sprintf("published %q", pub.all())
	})
	want := []string{
		"+monitor master mymaster 127.0.0.1 6379 quorum 2",
		"+sdown slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379",
		"+role-change slave x", "+reboot master y", "+tilt #tilt mode entered",
	}
	if got := pub.all(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("published %q, want %q (no debug events)", got, want)
	}
	levels := map[string]zapcore.Level{}
	for _, e := range logs.All() {
		levels[e.Message] = e.Level
		if e.ContextMap()["event"] != e.Message {
			t.Errorf("log %q: event field %v", e.Message, e.ContextMap()["event"])
		}
	}
	for typ, lvl := range map[string]zapcore.Level{"+monitor": zapcore.WarnLevel, "+sdown": zapcore.WarnLevel,
		"+role-change": zapcore.DebugLevel, "+reboot": zapcore.InfoLevel, "+script-child": zapcore.DebugLevel} {
		if levels[typ] != lvl {
			t.Errorf("%s logged at %v, want %v", typ, levels[typ], lvl)
		}
	}
	if e := logs.FilterMessage("+sdown").All(); len(e) != 1 || e[0].ContextMap()["payload"] != evs[1].Payload {
		t.Errorf("+sdown log entries %+v", e)
	}
	unsubscribe()
	unsubscribe()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after unsubscribe")
	}
}

func TestEventsSlowSubscriberLosesEvents(t *testing.T) {
	s, rec, _, logs := newEventShell(t, testTiming)
	slow, _ := s.Subscribe(1)
	fast, unsubscribe := s.Subscribe(100)
	defer unsubscribe()
	s.shell.start()
	rec.locked(func() {
		for i := 0; i < 10; i++ {
			s.shell.Event(core.Event{Type: "+sdown", Level: core.LevelWarning, Payload: fmt.Sprint(i)})
		}
	})
	for i := 0; i < 10; i++ {
		select {
		case ev := <-fast:
			if ev.Payload != fmt.Sprint(i) {
				t.Fatalf("fast subscriber got %q at %d", ev.Payload, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("fast subscriber stalled at %d", i)
		}
	}
	if ev := <-slow; ev.Payload != "0" {
		t.Fatalf("slow subscriber's first event %q", ev.Payload)
	}
	select {
	case ev := <-slow:
		t.Fatalf("slow subscriber got %q: events should have been dropped", ev.Payload)
	default:
	}
	if n := logs.FilterMessage("event subscriber too slow: events dropped").Len(); n != 1 {
		t.Errorf("lag logged %d times, want 1", n)
	}
	// stop closes every subscriber's channel; later subscriptions get a
	// closed one.
	s.shell.stop()
	if _, ok := <-slow; ok {
		t.Fatal("slow channel still open after stop")
	}
	if _, ok := <-fast; ok {
		t.Fatal("fast channel still open after stop")
	}
	late, _ := s.Subscribe(1)
	if _, ok := <-late; ok {
		t.Fatal("subscription after stop is open")
	}
}

func TestEventsNotificationScript(t *testing.T) {
	out := filepath.Join(t.TempDir(), "calls")
	script := writeScript(t, `echo "$#|$1|$2" >> `+out)
	s, rec, _, _ := newEventShell(t, testTiming)
	sh := s.shell
	sh.start()
	m, r := masterWithReplica(script)
	rec.locked(func() {
		// Warning about a replica: its master's script runs.
		sh.Event(core.Event{Type: "+sdown", Level: core.LevelWarning, Payload: "slave a b @ mymaster", Instance: r, Master: "mymaster"})
		// Notice level: no script.
		sh.Event(core.Event{Type: "+reboot", Level: core.LevelNotice, Payload: "x", Instance: m, Master: "mymaster"})
		// No instance: no script.
		sh.Event(core.Event{Type: "+tilt", Level: core.LevelWarning, Payload: "#tilt mode entered"})
		// Warning about the master itself.
		sh.Event(core.Event{Type: "+switch-master", Level: core.LevelWarning, Payload: "mymaster 1 2 3 4", Instance: m, Master: "mymaster"})
	})
	// The path was read when the event was emitted: changing it now
	// changes nothing.
	rec.locked(func() { m.NotificationScript = "/nonexistent" })
	var lines []string
	testutil.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		b, _ := os.ReadFile(out)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		return len(lines) == 2 && sh.queuedScripts() == 0, fmt.Sprintf("calls %q, queue %d", lines, sh.queuedScripts())
	})
	want := map[string]bool{"2|+sdown|slave a b @ mymaster": true, "2|+switch-master|mymaster 1 2 3 4": true}
	for _, l := range lines {
		if !want[l] {
			t.Errorf("script call %q", l)
		}
	}
}
