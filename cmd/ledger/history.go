package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
)

func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("history", "ledger history [flags] ACT", stderr)
	server := fs.String("server", cli.EnvOr("LEDGER_SERVER", cli.DefaultServer), "the ledger's HTTP address ($LEDGER_SERVER)")
	client := cli.AddClientFlags(fs)
	asJSON := fs.Bool("json", false, "print the history as JSON")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("history needs one act identifier, such as /akn/kz/act/2009-12-04/216")
	}
	act, err := events.ParseActID(fs.Arg(0))
	if err != nil {
		return err
	}
	var h ledger.HistoryJSON
	if err := client.Client(*server).Do(ctx, "GET", historyPath(act), nil, &h); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(h)
	}
	fmt.Fprintf(stdout, "%s: %s\n\n", h.Act, cli.Count(h.Version, "event"))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSEQ\tTYPE\tDATE\tVALID TIME\tDETAILS\tRECORDED\tBY")
	for _, r := range h.Events {
		e := r.Event
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Version, r.Seq, e.Type, e.Date, validTime(e), details(e),
			e.RecordedAt.Format("2006-01-02 15:04:05"), e.RecordedBy)
	}
	return tw.Flush()
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

// historyPath is the API path of an act's history.
func historyPath(act events.ActID) string {
	return "/v1/history?act=" + url.QueryEscape(string(act))
}
