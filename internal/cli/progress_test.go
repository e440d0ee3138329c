package cli_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/cli"
)

// A writer that is not a terminal gets no bar, finished or abandoned.
func TestProgressNotOnANonTerminal(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		var buf bytes.Buffer
		p := cli.NewProgress(&buf, quiet, "importing", 44)
		p.Add(44)
		p.Done()
		q := cli.NewByteProgress(&buf, quiet, "backing up", -1)
		q.SetTotal(1 << 20)
		q.Set(1 << 19)
		q.Abandon()
		if buf.Len() > 0 {
			t.Errorf("quiet=%v: %q written to a buffer, want nothing", quiet, buf.String())
		}
	}
}

var rateRE = regexp.MustCompile(`(\d+) events/s`)

// The finished bar counts events, and its rate is that count over the time
// since the bar was made: the time a summary line measures.
func TestProgressCountsEventsSinceItWasMade(t *testing.T) {
	var buf bytes.Buffer
	start := time.Now()
	p := cli.NewProgressDrawn(&buf, "importing", 44)
	time.Sleep(200 * time.Millisecond)
	p.Add(40)
	p.Add(4)
	if strings.Contains(buf.String(), "100%") {
		t.Errorf("the bar was drawn full before Done: %q", buf.String())
	}
	p.Done()
	took := time.Since(start)
	out := buf.String()
	if !strings.Contains(out, "100%") || !strings.Contains(out, "44/44") || !strings.HasSuffix(out, "\n") {
		t.Errorf("the finished bar is %q, want 100%%, 44/44 and a new line", out)
	}
	if strings.Contains(out, "B/s") {
		t.Errorf("the bar counts bytes: %q", out)
	}
	m := rateRE.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		t.Fatalf("no rate in events/s in %q", out)
	}
	rate, _ := strconv.Atoi(m[len(m)-1][1])
	if lo, hi := int(44/took.Seconds()), int(44/0.2)+1; rate < lo || rate > hi {
		t.Errorf("the finished bar says %d events/s, want 44 events over the %s since it was made (%d to %d)", rate, took, lo, hi)
	}
	p.Abandon() // after Done: nothing
	if buf.String() != out {
		t.Errorf("Abandon after Done wrote %q", strings.TrimPrefix(buf.String(), out))
	}
}

// A bar abandoned on an error is erased, never drawn full, even when the
// count reached its total before the failure.
func TestProgressAbandonedIsErased(t *testing.T) {
	var buf bytes.Buffer
	p := cli.NewProgressDrawn(&buf, "verifying", 10)
	p.Add(10)
	p.Abandon()
	p.Done() // after Abandon: nothing
	out := buf.String()
	if strings.Contains(out, "100%") || strings.Contains(out, "\n") {
		t.Errorf("the abandoned bar wrote %q, want no full bar and no line of its own", out)
	}
	if !strings.HasSuffix(out, "\r") {
		t.Errorf("the abandoned bar wrote %q, want it erased (ending in a carriage return)", out)
	}
}

// A total not known in advance becomes the count reached.
func TestProgressUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	p := cli.NewProgressDrawn(&buf, "rebuilding", -1)
	for range 7 {
		p.Add(1)
	}
	p.Done()
	if out := buf.String(); !strings.Contains(out, "7/7") || !strings.Contains(out, "100%") {
		t.Errorf("the finished bar is %q, want 7/7 at 100%%", out)
	}
}
