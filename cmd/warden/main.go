// Command warden is the one binary of the warden HA stack. Its subcommands
// are the components: `warden server` is a Redis-compatible node, `warden
// sentinel` a Redis-compatible sentinel, `warden proxy` the gateway with
// fixed write and read ports; `warden up` runs a whole stack of them,
// `warden status` shows its topology and `warden bench` measures it.
package main

import (
	"fmt"
	"os"
)

const usage = `warden — a Redis-compatible high-availability stack

Usage:
  warden server [redis.conf] [--directive value ...]   run a node (like redis-server)
  warden sentinel sentinel.conf [--directive value ...]
                                                      run a sentinel (like redis-sentinel)
  warden proxy -c proxy.yaml                          run the gateway: write and read ports
                                                      that follow failovers
  warden up [--dir data] [--replicas 2] [--sentinels 3] ...
                                                      run 1 master, its replicas, the sentinels
                                                      and the proxy, until Ctrl-C
  warden status [--sentinel host:port] [--proxy url]  print the live topology
  warden bench [compare|failover] [flags]             load generator and benchmarks
  warden version                                      print the version

Run "warden <command> --help" for a command's options.
`

// version is the warden release; the Redis version it speaks is in backend.
var version = "0.1.0-dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "server":
		os.Exit(runServer(os.Args[2:]))
	case "sentinel":
		os.Exit(runSentinel(os.Args[2:]))
	case "proxy":
		os.Exit(runProxy(os.Args[2:]))
	case "up":
		os.Exit(runUp(os.Args[2:]))
	case "status":
		os.Exit(runStatus(os.Args[2:]))
	case "bench":
		os.Exit(runBench(os.Args[2:]))
	case "version", "--version", "-v":
		fmt.Printf("warden %s (speaks Redis 7.0)\n", version)
	case "help", "--help", "-h":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "warden: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
}
