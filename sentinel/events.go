package sentinel

import (
	"sync"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/sentinel/core"
)

// Event is a sentinel event as a subscriber sees it (§2: "+sdown",
// "+switch-master", "-odown", ...). It is a copy of what the core emitted,
// safe to keep and read from any goroutine.
type Event struct {
	// Type is the event name, which is also the pub/sub channel it is
	// published on.
	Type string
	// Level is the event's log level; LevelDebug events are logged and
	// delivered to subscribers but not published on the client port.
	Level core.Level
	// Master is the name of the master whose group the event concerns, ""
	// for events about no group (+tilt, script failures).
	Master string
	// Payload is the published message, e.g. for +switch-master
	// "<master-name> <old-ip> <old-port> <new-ip> <new-port>", for
	// instance events "<kind> <name> <ip> <port> [@ <master-name>
	// <master-ip> <master-port>] [extra]".
	Payload string
}

// defaultSubscribeBuf is the channel capacity Subscribe uses for buf <= 0.
const defaultSubscribeBuf = 64

// Subscribe delivers every event this sentinel emits from now on (debug
// ones included) on a channel with room for buf events (64 if buf <= 0),
// in emission order. Delivery never blocks the sentinel: when the channel
// is full, the event is dropped for this subscriber (a warning is logged
// the first time), so a slow reader loses events rather than stalling
// failure detection. Call the returned function to unsubscribe; it closes
// the channel and may be called more than once. The channel is also
// closed when the sentinel stops.
func (s *Sentinel) Subscribe(buf int) (<-chan Event, func()) {
	return s.shell.events.subscribe(buf)
}

// Event (core.Shell) queues an event for the publisher goroutine, and, for
// a warning about an instance whose master has a notification-script,
// schedules the script with the event type and payload as arguments. It
// runs under Sentinel.mu, the only place where the instance (a pointer
// into the core's state) may be read.
func (sh *shell) Event(ev core.Event) {
	if ev.Level == core.LevelWarning && ev.Instance != nil {
		m := ev.Instance
		if m.Kind != core.KindMaster {
			m = m.Master
		}
		if m != nil && m.NotificationScript != "" {
			sh.scripts.add(sh.deps.timing(), m.NotificationScript, ev.Type, ev.Payload)
		}
	}
	sh.events.push(Event{Type: ev.Type, Level: ev.Level, Master: ev.Master, Payload: ev.Payload})
}

// emit queues an event of the shell's own (script results).
func (sh *shell) emit(level core.Level, typ, payload string) {
	sh.events.push(Event{Type: typ, Level: level, Payload: payload})
}

// eventQueue hands events from the core (under Sentinel.mu) to one
// goroutine that logs them, publishes them on the client port and fans
// them out to subscribers. Publishing takes the backend's lock, which must
// never be waited for under Sentinel.mu (lock order: backend, then
// Sentinel.mu), hence the queue.
type eventQueue struct {
	sh *shell

	mu      sync.Mutex
	q       []Event
	started bool
	stopped bool
	wake    chan struct{} // cap 1
	quit    chan struct{}
	done    chan struct{}

	subMu      sync.Mutex
	subs       map[*subscriber]struct{}
	subsClosed bool
}

type subscriber struct {
	ch      chan Event
	lagging bool // an event was dropped; logged once
}

func (eq *eventQueue) init(sh *shell) {
	eq.sh = sh
	eq.wake = make(chan struct{}, 1)
	eq.quit = make(chan struct{})
	eq.done = make(chan struct{})
	eq.subs = make(map[*subscriber]struct{})
}

// push queues ev; it never blocks. Events pushed before start wait for it.
func (eq *eventQueue) push(ev Event) {
	eq.mu.Lock()
	if eq.stopped {
		eq.mu.Unlock()
		return
	}
	eq.q = append(eq.q, ev)
	eq.mu.Unlock()
	select {
	case eq.wake <- struct{}{}:
	default:
	}
}

func (eq *eventQueue) start() {
	eq.mu.Lock()
	defer eq.mu.Unlock()
	if eq.started || eq.stopped {
		return
	}
	eq.started = true
	go eq.run()
}

// stop delivers what is queued, ends the goroutine and closes the
// subscribers' channels. Events pushed afterwards are discarded.
func (eq *eventQueue) stop() {
	eq.mu.Lock()
	started := eq.started && !eq.stopped
	eq.stopped = true
	eq.mu.Unlock()
	if started {
		close(eq.quit)
		<-eq.done
	}
	eq.subMu.Lock()
	defer eq.subMu.Unlock()
	eq.subsClosed = true
	for sub := range eq.subs {
		close(sub.ch)
		delete(eq.subs, sub)
	}
}

func (eq *eventQueue) run() {
	defer close(eq.done)
	for {
		eq.mu.Lock()
		batch := eq.q
		eq.q = nil
		eq.mu.Unlock()
		for _, ev := range batch {
			eq.deliver(ev)
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-eq.wake:
		case <-eq.quit:
			// A last look: events queued before stop are delivered.
			eq.mu.Lock()
			batch = eq.q
			eq.q = nil
			eq.mu.Unlock()
			for _, ev := range batch {
				eq.deliver(ev)
			}
			return
		}
	}
}

// deliver logs ev (message = the event type, like Redis's log line),
// publishes it unless it is a debug event, and hands it to subscribers.
func (eq *eventQueue) deliver(ev Event) {
	sh := eq.sh
	fields := []zap.Field{zap.String("event", ev.Type), zap.String("payload", ev.Payload)}
	switch ev.Level {
	case core.LevelWarning:
		sh.log.Warn(ev.Type, fields...)
	case core.LevelNotice:
		sh.log.Info(ev.Type, fields...)
	default:
		sh.log.Debug(ev.Type, fields...)
	}
	if ev.Level != core.LevelDebug && sh.deps.publish != nil {
		sh.deps.publish(ev.Type, ev.Payload)
	}
	eq.subMu.Lock()
	defer eq.subMu.Unlock()
	for sub := range eq.subs {
		select {
		case sub.ch <- ev:
		default:
			if !sub.lagging {
				sub.lagging = true
				sh.log.Warn("event subscriber too slow: events dropped",
					zap.String("event", "subscriber-lagging"), zap.String("dropped", ev.Type))
			}
		}
	}
}

func (eq *eventQueue) subscribe(buf int) (<-chan Event, func()) {
	if buf <= 0 {
		buf = defaultSubscribeBuf
	}
	sub := &subscriber{ch: make(chan Event, buf)}
	eq.subMu.Lock()
	defer eq.subMu.Unlock()
	if eq.subsClosed {
		close(sub.ch)
		return sub.ch, func() {}
	}
	eq.subs[sub] = struct{}{}
	return sub.ch, func() {
		eq.subMu.Lock()
		defer eq.subMu.Unlock()
		if _, ok := eq.subs[sub]; ok {
			delete(eq.subs, sub)
			close(sub.ch)
		}
	}
}
