// Package loopback finds TCP ports on 127.0.0.1 for servers that a test or
// a benchmark starts as other processes and that must be told their port
// before they bind it.
//
// A port that the kernel hands out for ":0" comes from the ephemeral
// range, the same range it draws the source ports of outgoing connections
// and other ":0" listeners from; between the moment such a port is closed
// and the moment the child binds it, any of those may take it. Port
// therefore picks from below the ephemeral range, where the kernel never
// assigns a port by itself, and never returns the same port twice in one
// process.
package loopback

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// lowest is the first port Port considers: below it lie the well-known
// and registered ports that other services on a machine tend to use.
const lowest = 10000

var given struct {
	sync.Mutex
	ports map[int]bool
}

// Port returns a port on 127.0.0.1 that was free a moment ago, that lies
// outside the kernel's ephemeral range when that range leaves room below
// it, and that no earlier call in this process returned.
func Port() (int, error) {
	given.Lock()
	defer given.Unlock()
	if given.ports == nil {
		given.ports = make(map[int]bool)
	}
	if hi := ephemeralLow(); hi-lowest >= 1000 {
		for range 1000 {
			p := lowest + rand.IntN(hi-lowest)
			if given.ports[p] {
				continue
			}
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				continue
			}
			ln.Close()
			given.ports[p] = true
			return p, nil
		}
	}
	// No room below the ephemeral range, or all of it taken: let the
	// kernel choose, skipping what this process returned already.
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !given.ports[p] {
			given.ports[p] = true
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free port on 127.0.0.1")
}

// ephemeralLow is the first port of the kernel's ephemeral range: Linux's
// ip_local_port_range, or its default 32768 where that cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if lo, err := strconv.Atoi(f[0]); err == nil {
				return lo
			}
		}
	}
	return 32768
}
