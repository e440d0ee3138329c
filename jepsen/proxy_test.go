package jepsen_test

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/lexledger/lexledger/jepsen"
)

// echo serves a line echo on loopback and returns its address.
func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through addr and reads it back.
func roundTrip(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		return err
	}
	_, err = bufio.NewReader(c).ReadString('\n')
	return err
}

// A proxy forwards; cut, it drops its connections and refuses new ones;
// healed, it forwards again; slowed, it delays.
func TestProxy(t *testing.T) {
	p, err := jepsen.NewProxy(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := roundTrip(p.Addr()); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}

	held, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	time.Sleep(50 * time.Millisecond) // the proxy has taken it
	p.Cut()
	held.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := held.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("a connection open when the proxy was cut: read gave %v, want EOF", err)
	}
	if err := roundTrip(p.Addr()); err == nil {
		t.Error("a new connection went through a cut proxy")
	}

	p.Heal()
	if err := roundTrip(p.Addr()); err != nil {
		t.Fatalf("through the healed proxy: %v", err)
	}
	p.SetLatency(100 * time.Millisecond)
	start := time.Now()
	if err := roundTrip(p.Addr()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("a round trip through a link slowed by 100ms each way took %s", d)
	}
}
