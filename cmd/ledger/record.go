package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func runRecord(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("record", "ledger record --act ACT --type TYPE --date DATE [flags]", stderr)
	server := fs.String("server", cli.EnvOr("LEDGER_SERVER", cli.DefaultServer), "the ledger's HTTP address ($LEDGER_SERVER)")
	client := cli.AddClientFlags(fs)
	act := fs.String("act", "", "the act: /akn/{country}/{type}[/{subtype}]/{date}/{number}")
	typ := fs.String("type", "", "event type: "+strings.Join(events.TypeNames(), ", "))
	date := fs.String("date", "", "legal date of the step: YYYY-MM-DD, or YYYY-MM or YYYY when only that is known")
	from := fs.String("effective-from", "", "first day of valid time")
	to := fs.String("effective-to", "", "end of valid time (exclusive)")
	retro := fs.Bool("retroactive", false, "effective_from may precede the act's adoption")
	instrument := fs.String("instrument", "", "the act that causes this step (amending, repealing act)")
	var provisions, texts listFlag
	fs.Var(&provisions, "provision", "an Akoma Ntoso eId concerned, such as art_18 (repeatable; none: the whole act)")
	fs.Var(&texts, "text", "a provision's text as EID=TEXT (repeatable)")
	title := fs.String("title", "", "the act's title (first event)")
	kind := fs.String("kind", "", "the act's kind (first event): law, code, decree, ...")
	summary := fs.String("summary", "", "a summary")
	draftingBody := fs.String("drafting-body", "", "who drafted it")
	chamber := fs.String("chamber", "", "the body or chamber")
	reading := fs.String("reading", "", "the reading")
	signatory := fs.String("signatory", "", "who signed")
	gazette := fs.String("gazette", "", "the gazette and its number")
	effect := fs.String("effect", "", "amendment effect: insertion, substitution, repeal, renumbering, or unspecified (a change not detailed)")
	reason := fs.String("reason", "", "the reason")
	note := fs.String("note", "", "a note")
	eli := fs.String("eli", "", "the act's ELI alias")
	corrects := fs.String("corrects", "", "record_corrected: the id of the event to correct")
	correction := fs.String("correction", "", "record_corrected: a JSON object of corrected fields")
	retracts := fs.String("retracts", "", "record_retracted: the id of the event recorded in error")
	id := fs.String("id", "", "the event id (a ULID); given by the ledger when empty. Reuse it to retry safely")
	expect := fs.Int64("expect-version", -1, "refuse unless the act is at this version (0: the act must be new)")
	asJSON := fs.Bool("json", false, "print the receipt as JSON")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("record takes flags only, got %q", fs.Args())
	}
	// Build the event as JSON so that the server's strict decoding and
	// messages apply unchanged.
	ev := map[string]any{"act": *act, "type": *typ, "date": *date}
	set := func(k, v string) {
		if v != "" {
			ev[k] = v
		}
	}
	set("effective_from", *from)
	set("effective_to", *to)
	set("instrument", *instrument)
	set("id", *id)
	if *retro {
		ev["retroactive"] = true
	}
	if len(provisions) > 0 {
		ev["provisions"] = []string(provisions)
	}
	body := map[string]any{}
	bset := func(k, v string) {
		if v != "" {
			body[k] = v
		}
	}
	bset("title", *title)
	bset("kind", *kind)
	bset("summary", *summary)
	bset("drafting_body", *draftingBody)
	bset("chamber", *chamber)
	bset("reading", *reading)
	bset("signatory", *signatory)
	bset("gazette", *gazette)
	bset("effect", *effect)
	bset("reason", *reason)
	bset("note", *note)
	bset("eli", *eli)
	bset("corrects", *corrects)
	bset("retracts", *retracts)
	if *correction != "" {
		body["correction"] = json.RawMessage(*correction)
	}
	if len(texts) > 0 {
		m := map[string]string{}
		for _, t := range texts {
			eid, text, ok := strings.Cut(t, "=")
			if !ok {
				return fmt.Errorf("--text %q: write it as EID=TEXT, such as art_18='Refugees shall not be returned'", t)
			}
			m[eid] = text
		}
		body["texts"] = m
	}
	if len(body) > 0 {
		ev["body"] = body
	}
	cmd := map[string]any{"event": ev}
	if *expect >= 0 {
		cmd["expected_version"] = *expect
	}
	data, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	var r ledger.Receipt
	if err := client.Client(*server).Do(ctx, "POST", "/v1/events", data, &r); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(r)
	}
	dup := ""
	if r.Duplicate {
		dup = " (already recorded: this is the first receipt)"
	}
	fmt.Fprintf(stdout, "recorded %s for %s: version %d, sequence %d, id %s, at %s%s\n",
		r.Type, r.Act, r.Version, r.Seq, r.ID, r.RecordedAt.Format("2006-01-02T15:04:05.000Z07:00"), dup)
	return nil
}
