package core

import "time"

// checkTiltCondition enters TILT when the clock jumped (§4.11): a tick that
// comes before the previous one, or more than tilt-trigger after it, means
// the process was stopped or the system clock moved, so the timings the
// sentinel measured cannot be trusted. A jump during TILT restarts the
// tilt period (and is announced again, as Redis does). Leaving TILT is
// checked per instance in handleInstance; PreviousTime is set at the end
// of Tick, and is zero before the first tick, which therefore never tilts.
func (c *Core) checkTiltCondition(now time.Time) {
	if c.PreviousTime.IsZero() {
		return
	}
	delta := now.Sub(c.PreviousTime)
	if delta < 0 || delta > c.Timing.TiltTrigger {
		c.Tilt = true
		c.TiltStart = now
		c.event(LevelWarning, "+tilt", nil, "#tilt mode entered")
	}
}
