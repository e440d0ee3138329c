package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/lexledger/lexledger/auth"
	"github.com/lexledger/lexledger/internal/cli"
)

const tokenUsage = `Usage:
  ledger token add    --file FILE --name NAME --role clerk|auditor|admin   make a token; prints its secret once
  ledger token list   --file FILE                                          the tokens' names, roles and dates
  ledger token revoke --file FILE --name NAME                              remove a token

The file holds each token's SHA-256 hash, never its secret. 'ledger serve --auth FILE'
and 'projector serve --auth FILE' read it, and read it again within a second of a change.
`

// runToken manages a token file of the HTTP servers' --auth.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("token needs a subcommand: add, list or revoke")
	}
	sub, rest := args[0], args[1:]
	fs := cli.NewFlags("token "+sub, "ledger token "+sub+" --file FILE [flags]", stderr)
	file := fs.String("file", cli.EnvOr("LEDGER_AUTH", ""), "the token file ($LEDGER_AUTH)")
	var name, role *string
	switch sub {
	case "add":
		name = fs.String("name", "", "the token's name: who uses it, such as alice; events recorded with it say recorded_by NAME@http")
		role = fs.String("role", "", "clerk (record, read histories), auditor (read, query, export, sign checkpoints) or admin (everything)")
	case "revoke":
		name = fs.String("name", "", "the name of the token to remove")
	case "list":
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	default:
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("unknown token subcommand %q: use add, list or revoke", sub)
	}
	if done, err := cli.Parse(fs, rest); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token %s takes flags only, got %q", sub, fs.Args())
	}
	if *file == "" {
		return fmt.Errorf("name the token file with --file, such as --file tokens.json")
	}
	if name != nil && *name == "" {
		return fmt.Errorf("name the token with --name, such as --name alice")
	}
	switch sub {
	case "add":
		r, err := auth.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("--role: %w", err)
		}
		f, err := auth.ReadOrNew(*file)
		if err != nil {
			return err
		}
		secret, err := f.Add(*name, r, time.Now())
		if err != nil {
			return err
		}
		if err := f.Write(*file); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "token %q (%s) added to %s; its secret follows, shown this once only: keep it in a password manager, or in $LEDGER_TOKEN\n", *name, r, *file)
		fmt.Fprintln(stdout, secret)
		return nil
	case "revoke":
		f, err := auth.ReadFile(*file)
		if err != nil {
			return err
		}
		if err := f.Revoke(*name); err != nil {
			return err
		}
		if err := f.Write(*file); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %q revoked; running servers stop taking it within a second\n", *name)
		return nil
	default: // list
		f, err := auth.ReadFile(*file)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
		for _, t := range f.Tokens {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Role, t.Created.Format(time.RFC3339))
		}
		return tw.Flush()
	}
}
