package testkit

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var opsClient = &http.Client{Timeout: 10 * time.Second}

// Metrics GETs base/metrics and returns each sample, keyed by its name and
// labels as written ("lex_ledger_appends_total{outcome=\"conflict\"}").
func Metrics(t testing.TB, base string) map[string]float64 {
	t.Helper()
	resp, err := opsClient.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// Readyz GETs base/readyz, decodes its JSON body into out and returns the
// status.
func Readyz(t testing.TB, base string, out any) int {
	t.Helper()
	resp, err := opsClient.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("GET /readyz: %s: not a readiness answer: %v: %s", resp.Status, err, data)
	}
	return resp.StatusCode
}
