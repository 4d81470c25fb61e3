// Package loopback finds free TCP ports on 127.0.0.1 for the programs that
// start servers of their own: the benchmark harness, the command-docs
// generator and the test helpers.
package loopback

import "net"

// FreePorts returns n distinct ports on 127.0.0.1 that were free a moment
// ago: the kernel picks them for listeners closed straight away. They stay
// open until the last is made, so no port comes back twice. Another
// process can still take one before the caller binds it; callers that
// start servers retry on "address in use".
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// FreePort is FreePorts for one port.
func FreePort() (int, error) {
	p, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}
