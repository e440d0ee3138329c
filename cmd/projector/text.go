package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
)

// runText prints an act's whole text on a day: each provision with its
// number, heading and words, its force when not in force, and the changes
// that made it read so; then the effects the text does not show.
func runText(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("text", "projector text [flags] ACT", stderr)
	q := addQueryFlags(fs, false)
	asOf := fs.String("as-of", "", "the day (YYYY-MM-DD); default: today")
	compare := fs.String("compare", "", "print what changed from this day (YYYY-MM-DD) to --as-of, word by word, instead of the text")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("text needs one act identifier, such as /akn/kz/act/code/1997-07-16/167")
	}
	v := q.values()
	v.Set("act", fs.Arg(0))
	if *compare != "" {
		to := *asOf
		if to == "" {
			to = time.Now().UTC().Format(time.DateOnly)
		}
		v.Set("from", *compare)
		v.Set("to", to)
		return printTextDiff(ctx, q, v, stdout)
	}
	if *asOf != "" {
		v.Set("as_of", *asOf)
	}
	var t consolidation.Text
	if err := get(ctx, q, "/v1/text", v, &t); err != nil {
		return err
	}
	if *q.asJSON {
		return printJSON(stdout, t)
	}
	version := "as enacted"
	if !t.Version.IsZero() {
		version = "the version of " + t.Version.String()
	}
	fmt.Fprintf(stdout, "%s on %s: %s\n", t.Act, t.AsOf, version)
	for _, u := range t.Uncertain {
		fmt.Fprintf(stdout, "  uncertain: a change is dated %s only (shown from its first day); the text on %s may differ\n", u, t.AsOf)
	}
	printProvisions(stdout, t.Provisions, 0)
	if len(t.Outstanding) > 0 {
		fmt.Fprintln(stdout, "\noutstanding (in effect, not shown in the text):")
		for _, e := range t.Outstanding {
			fmt.Fprintf(stdout, "  %s by %s from %s (%s): %s\n", orDots(string(e.Effect)), orDots(string(e.Instrument)), e.From, e.Event, e.Reason)
		}
	}
	if len(t.Pending) > 0 {
		fmt.Fprintln(stdout, "\nprospective amendments (recorded, in effect later):")
		for _, e := range t.Pending {
			fmt.Fprintf(stdout, "  %s by %s from %s (%s)\n", orDots(string(e.Effect)), orDots(string(e.Instrument)), e.From, e.Event)
		}
	}
	return nil
}

func printProvisions(w io.Writer, ns []consolidation.Node, depth int) {
	indent := strings.Repeat("  ", depth)
	for _, n := range ns {
		head := strings.TrimSpace(strings.Join([]string{n.Element, n.Num}, " "))
		if n.Heading != "" {
			head += ". " + n.Heading
		}
		if n.Status != "" && n.Status != "in_force" {
			head += " [" + strings.ReplaceAll(n.Status, "_", " ") + "]"
		}
		fmt.Fprintf(w, "\n%s%s  (%s)\n", indent, head, n.EID)
		switch {
		case n.Repealed:
			fmt.Fprintf(w, "%s  Repealed.\n", indent)
		case n.Text != "":
			fmt.Fprintf(w, "%s  %s\n", indent, n.Text)
		}
		for _, a := range n.Annotations {
			what := map[string]string{"substitute": "substituted", "insert": "inserted", "repeal": "repealed", "renumber": "renumbered"}[string(a.Op)]
			if a.Words {
				what = "words " + what
			}
			if a.Formerly != "" {
				what += ", formerly " + a.Formerly
			}
			src := ""
			if a.Source != "" {
				src = " " + a.Source
			}
			fmt.Fprintf(w, "%s  [%s by %s%s from %s]\n", indent, what, orDots(string(a.Instrument)), src, a.From)
		}
		printProvisions(w, n.Children, depth+1)
	}
}

// printTextDiff prints what changed in an act's text between two days,
// provision by provision, the words as git's word diff marks them:
// [-removed-] and {+added+}.
func printTextDiff(ctx context.Context, q queryFlags, v url.Values, stdout io.Writer) error {
	var d consolidation.Difference
	if err := get(ctx, q, "/v1/text/diff", v, &d); err != nil {
		return err
	}
	if *q.asJSON {
		return printJSON(stdout, d)
	}
	ver := func(day, version string) string {
		if version == "" {
			return day + " (as enacted)"
		}
		return day + " (the version of " + version + ")"
	}
	fmt.Fprintf(stdout, "%s: %s -> %s\n", d.Act, ver(d.From.String(), d.FromVer.String()), ver(d.To.String(), d.ToVer.String()))
	if len(d.Provisions) == 0 {
		fmt.Fprintln(stdout, "  no change to the text")
	}
	for _, p := range d.Provisions {
		head := p.Change + " " + p.EID
		if p.Formerly != "" {
			head += " (formerly " + p.Formerly + ")"
		}
		var b strings.Builder
		for _, w := range p.Words {
			switch w.Op {
			case "-":
				b.WriteString("[-" + w.Text + "-]")
			case "+":
				b.WriteString("{+" + w.Text + "+}")
			default:
				b.WriteString(w.Text)
			}
		}
		fmt.Fprintf(stdout, "\n  %s\n", head)
		if b.Len() > 0 {
			fmt.Fprintf(stdout, "    %s\n", b.String())
		}
		for _, a := range p.By {
			fmt.Fprintf(stdout, "    by %s %s from %s\n", orDots(string(a.Instrument)), a.Source, a.From)
		}
	}
	return nil
}

// runVersions prints the days on which an act's text or force changed.
func runVersions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("versions", "projector versions [flags] ACT", stderr)
	q := addQueryFlags(fs, false)
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("versions needs one act identifier")
	}
	v := q.values()
	v.Set("act", fs.Arg(0))
	var vs httpapi.Versions
	if err := get(ctx, q, "/v1/versions", v, &vs); err != nil {
		return err
	}
	if *q.asJSON {
		return printJSON(stdout, vs)
	}
	fmt.Fprintf(stdout, "%s: %d versions\n", vs.Act, len(vs.Versions))
	for _, ver := range vs.Versions {
		var what []string
		if ver.Text {
			what = append(what, "text")
		}
		if ver.Force {
			what = append(what, "force")
		}
		var evs []string
		for _, e := range ver.Events {
			s := string(e.Type)
			if e.Instrument != "" {
				s += " by " + string(e.Instrument)
			}
			if e.Outstanding {
				s += " (its text not recorded)"
			}
			evs = append(evs, s)
		}
		fmt.Fprintf(stdout, "  %s  %-10s  %s\n", ver.Date, strings.Join(what, ", "), strings.Join(evs, "; "))
	}
	return nil
}
