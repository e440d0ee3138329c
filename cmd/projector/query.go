package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/projections"
)

// queryFlags are the flags every query command takes.
type queryFlags struct {
	server, knownAt, country, kind, status *string
	asJSON                                 *bool
	client                                 *cli.ClientFlags // --token, --ca
}

func addQueryFlags(fs *flag.FlagSet, filters bool) queryFlags {
	q := queryFlags{
		server:  fs.String("server", cli.EnvOr("LEDGER_SERVER", cli.DefaultServer), "the projector's HTTP address: 'ledger serve' or 'projector serve' ($LEDGER_SERVER)"),
		knownAt: fs.String("known-at", "", "as the record stood at this time (RFC 3339), or at the end of this day (YYYY-MM-DD); default: now"),
		asJSON:  fs.Bool("json", false, "print JSON for scripts"),
		client:  cli.AddClientFlags(fs),
	}
	if filters {
		q.country = fs.String("jurisdiction", "", "only acts of this country code, such as kz")
		q.kind = fs.String("kind", "", "only acts of this kind, such as law or code")
		q.status = fs.String("status", "", "only acts with this status, such as in_force")
	}
	return q
}

func (q queryFlags) values() url.Values {
	v := url.Values{}
	set := func(k string, p *string) {
		if p != nil && *p != "" {
			v.Set(k, *p)
		}
	}
	set("known_at", q.knownAt)
	set("country", q.country)
	set("kind", q.kind)
	set("status", q.status)
	return v
}

func get(ctx context.Context, q queryFlags, path string, v url.Values, out any) error {
	return q.client.Client(*q.server).Do(ctx, "GET", path+"?"+v.Encode(), nil, out)
}

// beforeTheLedger reports whether err is the projector's refusal of a
// --known-at before the ledger's first event was recorded: an invalid
// argument whose message says so (httpapi, through projections.CheckKnownAt). To a command that
// lists acts, nothing was on record then, an empty answer rather than an
// error. The API offers no way to learn the first record time before
// asking, so the CLI recognises the answer; its tests run against a real
// projector and fail if that message changes.
func beforeTheLedger(err error) bool {
	var e *events.Error
	return errors.As(err, &e) && e.Code == events.CodeInvalid &&
		strings.HasPrefix(e.Message, "known_at ") && strings.Contains(e.Message, " is before the ledger began")
}

// getList is get for a list: asked as known before the ledger began, the
// answer is empty (empty is true) rather than an error.
func getList(ctx context.Context, q queryFlags, path string, v url.Values, out any) (empty bool, err error) {
	err = get(ctx, q, path, v, out)
	if err != nil && *q.knownAt != "" && beforeTheLedger(err) {
		return true, nil
	}
	return false, err
}

// nothingOnRecord is the line that explains an empty answer as known at a
// time before the ledger began.
func nothingOnRecord(w io.Writer, knownAt string) {
	fmt.Fprintf(w, "nothing was on record at %s: the ledger's first event was recorded later\n", knownAt)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runAsOf(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("asof", "projector asof [flags] DATE", stderr)
	q := addQueryFlags(fs, true)
	pf := addPageFlags(fs)
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("asof needs one date, YYYY-MM-DD")
	}
	if err := pf.check(); err != nil {
		return err
	}
	v := q.values()
	v.Set("as_of", fs.Arg(0))
	known := "now"
	if *q.knownAt != "" {
		known = *q.knownAt
	}
	js := &jsonList{w: stdout, key: "acts"}
	printed, total := 0, 0
	empty, err := eachPage(ctx, q, pf, "/v1/acts", v, func(pg *httpapi.ActsPage) (int, string, error) {
		if *q.asJSON {
			for _, a := range pg.Acts {
				if err := js.add(a); err != nil {
					return 0, "", err
				}
			}
			return len(pg.Acts), pg.NextCursor, nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		if printed == 0 {
			switch {
			case pg.Total != nil: // the first page's
				total = *pg.Total
			case pg.NextCursor == "": // a server from before paging: the whole list
				total = len(pg.Acts)
			}
			fmt.Fprintf(stdout, "%s on %s, as the record stood %s\n\n", cli.Count(total, "act"), fs.Arg(0), known)
			fmt.Fprintln(tw, "STATUS\tKIND\tACT\tTITLE\tREASON")
		}
		for _, a := range pg.Acts {
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", a.Status, uncertain(a), a.Kind, a.Act, clip(a.Title, 50), a.Reason)
		}
		printed += len(pg.Acts)
		return len(pg.Acts), pg.NextCursor, tw.Flush()
	})
	if err != nil {
		return err
	}
	if *q.asJSON {
		return js.close()
	}
	if empty {
		fmt.Fprintf(stdout, "0 acts on %s, as the record stood %s\n", fs.Arg(0), known)
		nothingOnRecord(stdout, known)
		return nil
	}
	stoppedEarly(stdout, printed, total)
	return nil
}

func uncertain(a projections.ActState) string {
	if len(a.Uncertain) > 0 {
		return " (?)"
	}
	return ""
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func runShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("show", "projector show [flags] ACT", stderr)
	q := addQueryFlags(fs, false)
	asOf := fs.String("as-of", "", "the day (YYYY-MM-DD); default: today")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("show needs one act identifier, such as /akn/kz/act/2009-12-04/216")
	}
	v := q.values()
	v.Set("act", fs.Arg(0))
	if *asOf != "" {
		v.Set("as_of", *asOf)
	}
	var s projections.ActState
	if err := get(ctx, q, "/v1/act", v, &s); err != nil {
		return err
	}
	if *q.asJSON {
		return printJSON(stdout, s)
	}
	fmt.Fprintf(stdout, "%s\n%s (%s)\n\n", s.Act, s.Title, s.Kind)
	fmt.Fprintf(stdout, "on %s: %s — %s\n", s.AsOf, s.Status, s.Reason)
	for _, u := range s.Uncertain {
		fmt.Fprintf(stdout, "  uncertain: the boundary %s is known only to the %s\n", u, u.Precision())
	}
	fmt.Fprintf(stdout, "procedure: last step %s %s\n", s.Stage, s.StageDate)
	var dates []string
	for _, k := range []string{"adopted", "signed", "published", "ratified", "acceded", "first_in_force", "no_longer_in_force"} {
		if d, ok := s.Dates[k]; ok {
			dates = append(dates, k+" "+d.String())
		}
	}
	if len(dates) > 0 {
		fmt.Fprintf(stdout, "dates: %s\n", strings.Join(dates, ", "))
	}
	if len(s.Provisions) > 0 {
		fmt.Fprintln(stdout, "\nprovisions:")
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, p := range s.Provisions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.EID, p.Status, clip(p.Text, 80))
		}
		tw.Flush()
	}
	if len(s.AmendmentsReceived) > 0 {
		fmt.Fprintln(stdout, "\namended by:")
		for _, a := range s.AmendmentsReceived {
			fmt.Fprintf(stdout, "  %s  %s from %s\n", a.Instrument, effectOn(a.Effect, a.Provisions), a.EffectiveFrom)
		}
	}
	if len(s.AmendmentsMade) > 0 {
		fmt.Fprintln(stdout, "\namends:")
		for _, a := range s.AmendmentsMade {
			fmt.Fprintf(stdout, "  %s  %s from %s\n", a.Target, effectOn(a.Effect, a.Provisions), a.EffectiveFrom)
		}
	}
	return nil
}

func runTimeline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("timeline", "projector timeline [flags] ACT", stderr)
	q := addQueryFlags(fs, false)
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("timeline needs one act identifier")
	}
	v := q.values()
	v.Set("act", fs.Arg(0))
	var t projections.Timeline
	if err := get(ctx, q, "/v1/timeline", v, &t); err != nil {
		return err
	}
	if *q.asJSON {
		return printJSON(stdout, t)
	}
	fmt.Fprintf(stdout, "%s — %s\n\nvalid time:\n", t.Act, t.Title)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, iv := range t.Intervals {
		from, to := iv.From.String(), iv.To.String()
		if from == "" {
			from = "…"
		}
		if to == "" {
			to = "…"
		}
		fmt.Fprintf(tw, "  [%s, %s)\t%s\t%s\n", from, to, iv.Status, iv.Reason)
	}
	tw.Flush()
	for _, eid := range slices.Sorted(maps.Keys(t.Provisions)) {
		var ivs []string
		for _, iv := range t.Provisions[eid] {
			ivs = append(ivs, fmt.Sprintf("[%s, %s) %s", orDots(iv.From.String()), orDots(iv.To.String()), iv.Status))
		}
		fmt.Fprintf(stdout, "  %s: %s\n", eid, strings.Join(ivs, "; "))
	}
	fmt.Fprintln(stdout, "\nrecord:")
	tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, e := range t.Events {
		eff := ""
		if !e.Effective {
			eff = "(not in effect)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Date, e.Type, e.RecordedAt.UTC().Format(time.RFC3339Nano), e.RecordedBy, eff)
	}
	return tw.Flush()
}

func orDots(s string) string {
	if s == "" {
		return "…"
	}
	return s
}

func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("diff", "projector diff [flags] D1 D2", stderr)
	q := addQueryFlags(fs, true)
	pf := addPageFlags(fs)
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("diff needs two dates, YYYY-MM-DD")
	}
	if err := pf.check(); err != nil {
		return err
	}
	v := q.values()
	v.Set("from", fs.Arg(0))
	v.Set("to", fs.Arg(1))
	js := &jsonList{w: stdout, key: "changes"}
	printed, total := 0, 0
	empty, err := eachPage(ctx, q, pf, "/v1/diff", v, func(pg *httpapi.DiffPage) (int, string, error) {
		if *q.asJSON {
			for _, c := range pg.Changes {
				if err := js.add(c); err != nil {
					return 0, "", err
				}
			}
			return len(pg.Changes), pg.NextCursor, nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		if printed == 0 {
			switch {
			case pg.Total != nil: // the first page's
				total = *pg.Total
			case pg.NextCursor == "": // the one page
				total = len(pg.Changes)
			}
			fmt.Fprintf(stdout, "%s between %s and %s\n\n", cli.Count(total, "act changed status", "acts changed status"), fs.Arg(0), fs.Arg(1))
			fmt.Fprintln(tw, "ACT\tBEFORE\tAFTER\tTITLE")
		}
		for _, c := range pg.Changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Act, c.Before, c.After, clip(c.Title, 50))
		}
		printed += len(pg.Changes)
		return len(pg.Changes), pg.NextCursor, tw.Flush()
	})
	if err != nil {
		return err
	}
	if *q.asJSON {
		return js.close()
	}
	if empty {
		fmt.Fprintf(stdout, "0 acts changed status between %s and %s\n", fs.Arg(0), fs.Arg(1))
		nothingOnRecord(stdout, *q.knownAt)
		return nil
	}
	stoppedEarly(stdout, printed, total)
	return nil
}

// effectOn says what an amendment changes: "substitution of art_49", or,
// for a change the record does not detail, "changes not detailed (of
// provisions not recorded)" rather than a claim on the whole act.
func effectOn(e events.AmendmentEffect, p []string) string {
	if e == events.Unspecified {
		if len(p) == 0 {
			return "changes not detailed, to provisions not recorded"
		}
		return "changes not detailed, to " + strings.Join(p, ", ")
	}
	return string(e) + " of " + provisionList(p)
}

func provisionList(p []string) string {
	if len(p) == 0 {
		return "the whole act"
	}
	return strings.Join(p, ", ")
}

// runExport writes an act as of a date as Akoma Ntoso 3.0 XML.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("export", "projector export [flags] ACT > act.xml", stderr)
	q := addQueryFlags(fs, false)
	asOf := fs.String("as-of", "", "the day (YYYY-MM-DD); default: today")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("export needs one act identifier")
	}
	v := q.values()
	v.Set("act", fs.Arg(0))
	if *asOf != "" {
		v.Set("as_of", *asOf)
	}
	return q.client.Client(*q.server).Raw(ctx, "/v1/export?"+v.Encode(), stdout)
}

// runAudit prints an act's audit report.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("audit", "projector audit [flags] ACT", stderr)
	q := addQueryFlags(fs, false)
	asCSV := fs.Bool("csv", false, "CSV instead of JSON")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("audit needs one act identifier")
	}
	v := url.Values{"act": {fs.Arg(0)}}
	if *asCSV {
		v.Set("format", "csv")
	}
	return q.client.Client(*q.server).Raw(ctx, "/v1/audit?"+v.Encode(), stdout)
}
