package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/projections"
)

func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("history", "ledger history [flags] ACT", stderr)
	server := fs.String("server", cli.EnvOr("LEDGER_SERVER", cli.DefaultServer), "the ledger's HTTP address ($LEDGER_SERVER)")
	client := cli.AddClientFlags(fs)
	asJSON := fs.Bool("json", false, "print the history as JSON")
	limit := fs.Int("limit", 0, "print at most this many events; 0: all of them, a page at a time")
	pageSize := fs.Int("page-size", projections.MaxLimit, fmt.Sprintf("how many events to ask for in one request, 1 to %d", projections.MaxLimit))
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("history needs one act identifier, such as /akn/kz/act/2009-12-04/216")
	}
	if *limit < 0 || *pageSize < 1 || *pageSize > projections.MaxLimit {
		return fmt.Errorf("--limit %d, --page-size %d: give --limit from 0 (all) and --page-size from 1 to %d", *limit, *pageSize, projections.MaxLimit)
	}
	act, err := events.ParseActID(fs.Arg(0))
	if err != nil {
		return err
	}
	c := client.Client(*server)
	var whole ledger.HistoryJSON // with --json: every page, printed at the end as one document
	printed, cursor, version := 0, "", uint64(0)
	for {
		size := *pageSize
		if *limit > 0 {
			size = min(size, *limit-printed)
		}
		var h ledger.HistoryJSON
		if err := c.Do(ctx, "GET", historyPath(act, size, cursor), nil, &h); err != nil {
			return err
		}
		version = h.Version
		if *asJSON {
			whole.Act, whole.Version = h.Act, h.Version
			whole.Events = append(whole.Events, h.Events...)
			whole.Defects = append(whole.Defects, h.Defects...)
		} else {
			printHistoryPage(stdout, h, printed == 0)
		}
		printed += len(h.Events) + len(h.Defects)
		if cursor = h.NextCursor; cursor == "" || (*limit > 0 && printed >= *limit) {
			break
		}
	}
	if *asJSON {
		if whole.Events == nil {
			whole.Events = []eventlog.Entry{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(whole)
	}
	if cursor != "" {
		fmt.Fprintf(stdout, "\n(the first %d of the act's %d events: --limit 0 prints all)\n", printed, version)
	}
	return nil
}

// printHistoryPage prints a page of a history as a table, after a
// heading when it is the first.
func printHistoryPage(w io.Writer, h ledger.HistoryJSON, first bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if first {
		fmt.Fprintf(w, "%s: %s\n\n", h.Act, cli.Count(h.Version, "event"))
		fmt.Fprintln(tw, "VERSION\tSEQ\tTYPE\tDATE\tVALID TIME\tDETAILS\tRECORDED\tBY")
	}
	for _, r := range h.Events {
		e := r.Event
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Version, r.Seq, e.Type, e.Date, validTime(e), details(e),
			e.RecordedAt.UTC().Format(time.RFC3339Nano), e.RecordedBy)
	}
	tw.Flush()
}

func validTime(e events.Event) string {
	switch {
	case e.EffectiveFrom.IsZero():
		return "-"
	case e.EffectiveTo.IsZero():
		return "from " + e.EffectiveFrom.String()
	}
	return fmt.Sprintf("[%s, %s)", e.EffectiveFrom, e.EffectiveTo)
}

// details is a one-line summary of the type-specific fields.
func details(e events.Event) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	// quoted quotes a value of several words.
	quoted := func(v string) string {
		if strings.ContainsAny(v, " \t\"") {
			return fmt.Sprintf("%q", v)
		}
		return v
	}
	b := e.Body
	if b.Title != "" {
		add("title", fmt.Sprintf("%q", b.Title))
	}
	add("kind", string(b.Kind))
	add("drafting_body", quoted(b.DraftingBody))
	add("chamber", quoted(b.Chamber))
	add("signatory", quoted(b.Signatory))
	add("gazette", quoted(b.Gazette))
	add("effect", string(b.Effect))
	add("instrument", string(e.Instrument))
	if len(e.Provisions) > 0 {
		add("provisions", strings.Join(e.Provisions, ","))
	}
	if !b.Corrects.IsZero() {
		add("corrects", b.Corrects.String())
	}
	if !b.Retracts.IsZero() {
		add("retracts", b.Retracts.String())
	}
	add("reason", b.Reason)
	if len(parts) == 0 {
		return "-"
	}
	s := strings.Join(parts, " ")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:97]) + "..."
	}
	return s
}

// historyPath is the API path of a page of an act's history: limit
// events after cursor ("" for the first page).
func historyPath(act events.ActID, limit int, cursor string) string {
	v := url.Values{"act": {string(act)}, "limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	return "/v1/history?" + v.Encode()
}
