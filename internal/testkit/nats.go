package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// tools holds the binaries built once per test binary run.
var tools struct {
	mu   sync.Mutex
	dir  string
	done map[string]error
}

// Tool returns the path of the command built from pkg (a module in go.mod:
// github.com/nats-io/nats-server/v2, or the tool github.com/nats-io/natscli/nats),
// built with `go build` the first time it is asked in this test binary and
// kept in a directory that RemoveTools deletes.
func Tool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	tools.mu.Lock()
	defer tools.mu.Unlock()
	if tools.dir == "" {
		dir, err := os.MkdirTemp("", "lexledger-tools-")
		if err != nil {
			tb.Fatal(err)
		}
		tools.dir, tools.done = dir, map[string]error{}
	}
	path := filepath.Join(tools.dir, name)
	err, built := tools.done[pkg]
	if !built {
		out, berr := exec.Command("go", "build", "-o", path, pkg).CombinedOutput()
		if berr != nil {
			err = fmt.Errorf("go build %s: %v\n%s", pkg, berr, out)
		}
		tools.done[pkg] = err
	}
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// RemoveTools deletes the binaries that Tool built; call it from TestMain.
func RemoveTools() {
	tools.mu.Lock()
	defer tools.mu.Unlock()
	if tools.dir != "" {
		os.RemoveAll(tools.dir)
		tools.dir = ""
	}
}

// StartNATSServer runs the nats-server binary with the configuration conf
// and waits until its client port, addr (host:port), accepts connections.
// The server is killed when the test ends.
func StartNATSServer(tb testing.TB, bin, conf, addr string) *Proc {
	tb.Helper()
	p := StartProc(tb, bin, "--config", conf)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			// The port is open before JetStream has recovered its store.
			if strings.Contains(p.Out.String(), "Server is ready") {
				return p
			}
		}
		if !p.Running() {
			tb.Fatalf("nats-server exited before it was ready: %v\n%s", p.Err, p.Out)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("nats-server did not listen on %s within 30s\n%s", addr, p.Out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WriteTLS writes into dir a CA (ca.pem) and a certificate for 127.0.0.1
// and localhost signed by it (server.pem, server-key.pem), valid for a day.
func WriteTLS(tb testing.TB, dir string) {
	tb.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Lex Ledger test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	srv := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		tb.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"ca.pem":         {Type: "CERTIFICATE", Bytes: caDER},
		"server.pem":     {Type: "CERTIFICATE", Bytes: srvDER},
		"server-key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}
