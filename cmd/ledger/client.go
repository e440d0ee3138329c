package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
)

const defaultServer = "http://127.0.0.1:8080"

// client talks to the clerks' HTTP API.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	return &client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 2 * time.Minute}}
}

// do sends a request and decodes a 2xx answer into out; an error answer
// comes back as *events.Error.
func (c *client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the ledger at %s (is 'ledger serve' running? set --server): %w", c.base, err)
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

// historyPath is the API path of an act's history.
func historyPath(act events.ActID) string {
	return "/v1/history?act=" + url.QueryEscape(string(act))
}
