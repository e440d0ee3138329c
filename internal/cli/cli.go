// Package cli holds what the ledger's and the projector's command lines
// share: flag sets with a synopsis, environment defaults, and a client of
// the HTTP API that turns error answers back into *events.Error.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lexledger/lexledger/ledger"
)

// DefaultServer is the HTTP address of `ledger serve`, which also serves
// the projector's queries.
const DefaultServer = "http://127.0.0.1:8080"

// ErrReported is returned when the message was already written: main exits
// non-zero without printing it again.
var ErrReported = errors.New("reported")

// NewFlags returns a flag set that prints its usage with a synopsis.
func NewFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args, flags before, between or after the positional
// arguments (`asof 2008-06-01 --jurisdiction kz`); positional arguments
// stay in order in fs.Args(). --help prints the usage and reports done.
func Parse(fs *flag.FlagSet, args []string) (done bool, err error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return true, nil
			}
			return true, ErrReported
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Leave the positional arguments where fs.Args finds them.
	fs.Parse(append([]string{"--"}, positional...))
	return false, nil
}

// EnvOr returns the environment variable's value, or def.
func EnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Client talks to the HTTP API of `ledger serve` or `projector serve`.
type Client struct {
	base  string
	http  *http.Client
	token string // sent as a bearer token when set (ClientFlags)
	err   error  // a flag that could not be applied, returned by every request
}

// NewClient returns a client of the API at base.
func NewClient(base string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 2 * time.Minute}}
}

// Do sends a request and decodes a 2xx answer into out; an error answer
// comes back as *events.Error.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, out any) error {
	if c.err != nil {
		return c.err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	c.authorize(req)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s (is 'ledger serve' running? set --server): %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var ej ledger.ErrorJSON
		if json.Unmarshal(data, &ej) == nil && ej.Error.Message != "" {
			return ej.Error.Err()
		}
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Raw GETs path and copies a 2xx answer's body to w as it is; an error
// answer comes back as *events.Error.
func (c *Client) Raw(ctx context.Context, path string, w io.Writer) error {
	if c.err != nil {
		return c.err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return err
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s (is 'ledger serve' running? set --server): %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(resp.Body)
		var ej ledger.ErrorJSON
		if json.Unmarshal(data, &ej) == nil && ej.Error.Message != "" {
			return ej.Error.Err()
		}
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

func (c *Client) authorize(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

// Main runs a command's run function with a context that SIGINT and
// SIGTERM cancel, prints its error (unless already reported) prefixed by
// the command's name, and exits non-zero on error.
func Main(name string, run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		if !errors.Is(err, ErrReported) {
			fmt.Fprintln(os.Stderr, name+":", err)
		}
		os.Exit(1)
	}
}
