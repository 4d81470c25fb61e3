// Package tcpopt holds the socket options warden sets on each connection
// it accepts, shared by the server node and the proxy.
//
// They are set per connection, as Redis does, rather than through gnet's
// WithTCPKeepAlive: that option applies the keepalive to the listening
// socket after binding it, and when the bind fails (a port in use) gnet
// reports the setsockopt on the closed descriptor ("bad file descriptor")
// instead of "address already in use", so a caller cannot tell a busy
// port from any other failure. Per connection, a CONFIG SET tcp-keepalive
// also reaches the connections accepted after it.
package tcpopt

import (
	"time"

	"github.com/panjf2000/gnet/v2"
)

// KeepAlive turns on TCP keepalive on c with Redis's parameters
// (anetKeepAlive): the first probe after period of silence, then two
// more a third of period apart, so a dead peer is noticed about
// 2×period after the last byte. A period of zero leaves c as it is.
func KeepAlive(c gnet.Conn, period time.Duration) error {
	if period <= 0 {
		return nil
	}
	if period < time.Second {
		period = time.Second // the socket options count whole seconds
	}
	interval := max(period/3, time.Second)
	return c.SetKeepAlive(true, period, interval, 3)
}
