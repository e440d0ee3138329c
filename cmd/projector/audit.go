package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projector"
)

// runVerify replays the stream and its checkpoints and reports the first
// divergence; it exits non-zero on any failure, a defect included (a
// message that is not a valid event of its act), and lists every defect.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("verify", "projector verify --nats-url URL [--key PUBKEY]... [--state FILE] [--report FILE]\n       projector verify --backup DIR [--checkpoints-backup DIR2] [--key PUBKEY]... [--state FILE]", stderr)
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", "nats://127.0.0.1:4222"), "the NATS server of the ledger ($LEDGER_NATS_URL)")
	stream := fs.String("stream", natsjs.DefaultStream, "the stream to verify (any copy of the ledger's stream)")
	auth := cli.AddNATSAuthAs(fs, natsauth.RoleAuditor)
	prefix := fs.String("prefix", natsjs.DefaultPrefix, "the subject prefix of that stream's events")
	var keys stringList
	fs.Var(&keys, "key", "a trusted public key of checkpoint signers: a note verifier key (origin+hash+key, as in DATA/checkpoint.nk.pub) or the nkey of an older ledger (repeatable; none: signatures unpinned)")
	report := fs.String("report", "", "write the JSON report to this file")
	quiet := fs.Bool("quiet", false, "no progress bar")
	rf := addRememberFlags(fs)
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if _, err := audit.ParseTrustedKeys(keys); err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	if err := rf.checkBackupFlags(fs); err != nil {
		return err
	}
	policy, err := rf.policy(fs, keys)
	if err != nil {
		return err
	}
	prev, err := readState(*rf.state, *stream)
	if err != nil {
		return err
	}
	cfg := natsjs.Config{Stream: *stream, Prefix: *prefix}
	var store *natsjs.Store
	var views *natsjs.Views
	if *rf.backup != "" {
		var stop func()
		if store, views, stop, err = openBackup(ctx, *rf.backup, *rf.checkpointsBackup, cfg); err != nil {
			return err
		}
		defer stop()
	} else {
		st, err := auth.Open(ctx, *natsURL, cli.StreamOptions{Name: "lexledger-verify", Config: cfg, ReadOnly: true, Views: true})
		if err != nil {
			return err
		}
		defer st.Close()
		store, views = st.Store, st.Views
	}
	o := verifyOptions{keys: keys, quiet: *quiet, stream: *stream, policy: policy, prev: prev}
	rep, next, took, err := verifyStream(ctx, store, views, o, stderr)
	if err != nil {
		return err
	}
	if *report != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*report, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	if rep.OK && *rf.state != "" {
		if err := audit.WriteState(*rf.state, next); err != nil {
			return fmt.Errorf("--state %s: %w (the run passed, but the state was not advanced)", *rf.state, err)
		}
	}
	rate := float64(rep.Events) / took.Seconds()
	if rep.OK {
		fmt.Fprintf(stdout, "verified: %s of %s, %s; root %s at tree size %d; %.1fs (%.0f events/s)\n",
			cli.Count(rep.Events, "event"), cli.Count(rep.Acts, "act"), cli.Count(rep.Checkpoints, "checkpoint"), rep.Root, rep.TreeSize, took.Seconds(), rate)
		if len(keys) == 0 && rep.Checkpoints > 0 {
			fmt.Fprintln(stdout, "note: no --key given: checkpoint signatures were not pinned (old JSON checkpoints were checked against the keys they name)")
		}
		if n := rep.SignaturesUnchecked; n > 0 {
			fmt.Fprintf(stdout, "note: the signatures of %s were not checked: a note names its key only by name and hash; pin the key with --key (DATA/checkpoint.nk.pub)\n", cli.Count(n, "checkpoint note"))
		}
		if len(rep.WitnessedBy) > 0 {
			fmt.Fprintf(stdout, "the newest checkpoint is cosigned by %s\n", strings.Join(rep.WitnessedBy, ", "))
		}
		if *rf.state != "" {
			printRemembered(stdout, *rf.state, next, prev)
		}
		return nil
	}
	if len(rep.Failures) == 0 {
		fmt.Fprintf(stderr, "verification FAILED: the chains, tree and checkpoints hold, but the stream holds defects\n")
	} else {
		f := rep.Failures[0]
		fmt.Fprintf(stderr, "verification FAILED: %s; the first", cli.Count(len(rep.Failures), "problem"))
		if f.Seq > 0 {
			fmt.Fprintf(stderr, " at sequence %d", f.Seq)
		}
		if f.Act != "" {
			fmt.Fprintf(stderr, " (act %s)", f.Act)
		}
		fmt.Fprintf(stderr, ": %s: %s\n", f.Kind, f.Message)
		for _, g := range rep.Failures[1:min(len(rep.Failures), 10)] {
			if g.Seq > 0 {
				fmt.Fprintf(stderr, "  then sequence %d: %s: %s\n", g.Seq, g.Kind, g.Message)
			} else {
				fmt.Fprintf(stderr, "  then: %s: %s\n", g.Kind, g.Message)
			}
		}
	}
	if n := len(rep.Defects); n > 0 {
		fmt.Fprintf(stderr, "%s: messages that are not valid events of their acts, left out of the views (docs/RUNBOOK.md, Defects):\n", cli.Count(n, "defect"))
		for _, d := range rep.Defects {
			fmt.Fprintf(stderr, "  sequence %d %s", d.Seq, d.Defect.Reason)
			if d.Defect.Subject != "" {
				fmt.Fprintf(stderr, " on %s", d.Defect.Subject)
			} else if d.Defect.Act != "" {
				fmt.Fprintf(stderr, " of %s", d.Defect.Act)
			}
			fmt.Fprintf(stderr, ": %s\n", d.Defect.Message)
		}
	}
	if *rf.backup != "" && *rf.checkpointsBackup == "" {
		fmt.Fprintln(stderr, "note: the backup was verified without its checkpoints: give their backup with --checkpoints-backup (ledger backup --stream LEX_CHECKPOINTS --out DIR2)")
	}
	if *rf.state != "" {
		fmt.Fprintf(stderr, "the state in %s was not advanced: it still remembers what the last run that passed verified\n", *rf.state)
	}
	return cli.ErrReported
}

// verifyStream replays the stream into a Verifier, then checks every
// checkpoint, the policy and the remembered state that o gives. It returns
// the report, and the state to remember if it passed.
func verifyStream(ctx context.Context, store *natsjs.Store, views *natsjs.Views, o verifyOptions, stderr io.Writer) (audit.Report, audit.State, time.Duration, error) {
	last, err := store.LastSeq(ctx)
	if err != nil {
		return audit.Report{}, audit.State{}, 0, err
	}
	// The bar counts the events read and ends, full, only when all is
	// verified, as the summary's count and time do.
	bar := cli.NewProgress(stderr, o.quiet, "verifying", int64(last))
	defer bar.Abandon()
	start := time.Now()
	v := audit.NewVerifier(o.keys)
	seen, err := natsjs.Verify(ctx, store, views, v, func() { bar.Add(1) })
	if err != nil {
		return audit.Report{}, audit.State{}, 0, err
	}
	if o.policy != nil {
		v.ApplyPolicy(*o.policy)
	}
	if o.prev != nil {
		v.CompareState(*o.prev, seen)
	}
	rep := v.Report()
	var next audit.State
	if rep.OK {
		next = v.State(o.stream, seen, 0, time.Now())
		bar.Set(int64(rep.Events))
		bar.Done()
	}
	return rep, next, time.Since(start), nil
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// runProof fetches the inclusion proof of an event from a running projector.
func runProof(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("proof", "projector proof [--server URL] EVENT-ID > proof.json", stderr)
	server := fs.String("server", cli.EnvOr("LEDGER_SERVER", cli.DefaultServer), "the projector's HTTP address ($LEDGER_SERVER)")
	client := cli.AddClientFlags(fs)
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("proof needs one event id (a ULID from a receipt or a history)")
	}
	if _, err := events.ParseID(fs.Arg(0)); err != nil {
		return err
	}
	var p projector.Proof
	if err := client.Client(*server).Do(ctx, "GET", "/v1/proof?event="+fs.Arg(0), nil, &p); err != nil {
		return err
	}
	// Compact, so that the event in the file is byte for byte the event as
	// stored, for the by-hand check of docs/VERIFY.md.
	return json.NewEncoder(stdout).Encode(p)
}

// runCheckProof checks an inclusion proof offline: no ledger, no network.
func runCheckProof(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("check-proof", "projector check-proof --key PUBKEY proof.json", stderr)
	var keys stringList
	fs.Var(&keys, "key", "the trusted public key of the checkpoint signer: a note verifier key (origin+hash+key) or an nkey (repeatable)")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if _, err := audit.ParseTrustedKeys(keys); err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("check-proof needs the proof file written by 'projector proof'")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	if err := checkProof(data, keys); err != nil {
		return fmt.Errorf("the proof does NOT hold: %w", err)
	}
	var p projector.Proof
	json.Unmarshal(data, &p)
	fmt.Fprintf(stdout, "the proof holds: event at sequence %d is leaf %d of the tree of %s with root %s, signed by %s at %s\n",
		p.Sequence, p.LeafIndex, cli.Count(p.TreeSize, "event"), p.Root, p.Checkpoint.Key, p.Checkpoint.Time.Format(time.RFC3339))
	if len(keys) == 0 {
		fmt.Fprintln(stdout, "note: no --key given: the signature was checked against the key the checkpoint names; pin it with --key")
	}
	return nil
}

// checkProof is the offline check of docs/VERIFY.md: the event hashes to
// its hash, its leaf is in the tree by the path, and the tree's root is the
// one a trusted key signed.
func checkProof(data []byte, keys []string) error {
	var p projector.Proof
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("not a proof file: %w", err)
	}
	// Leaf i is the event at stream sequence i+1: the sequence the proof
	// states is bound to the leaf the path proves.
	if p.Sequence != p.LeafIndex+1 {
		return fmt.Errorf("the proof says the event is at sequence %d, but its leaf index %d is that of the event at sequence %d (leaf i is the event at sequence i+1): the proof was edited; fetch it again with 'projector proof'", p.Sequence, p.LeafIndex, p.LeafIndex+1)
	}
	e, err := events.Decode(p.Event)
	if err != nil {
		return fmt.Errorf("the event: %w", err)
	}
	h, err := e.ComputeHash()
	if err != nil {
		return err
	}
	if !e.Hash.IsZero() && h != e.Hash {
		return fmt.Errorf("the event's content hashes to %s, not to its recorded hash %s", h, e.Hash)
	}
	leaf := merkle.LeafHash(h[:])
	if leaf != p.LeafHash {
		return fmt.Errorf("the event's leaf hash is %s, the proof says %s", leaf, p.LeafHash)
	}
	if err := merkle.VerifyInclusion(leaf, p.LeafIndex, p.TreeSize, p.Path, p.Root); err != nil {
		return fmt.Errorf("inclusion: %w", err)
	}
	c := p.Checkpoint
	if c.Note != "" {
		// The fields the signature covers are the note's: read them from
		// it, so that a field edited beside the note cannot pass.
		n, err := audit.ParseNote([]byte(c.Note))
		if err != nil {
			return err
		}
		n.Key = c.Key
		c = n
	}
	if c.TreeSize != p.TreeSize || c.Root != p.Root {
		return fmt.Errorf("the checkpoint signs tree size %d root %s, the proof is for size %d root %s", c.TreeSize, c.Root, p.TreeSize, p.Root)
	}
	return c.Verify(keys)
}

// runKeygen writes a new checkpoint signing key, or prints the public key
// of an existing one (an nkey seed too: the note verifier key it signs
// with now, then the nkey that its old checkpoints name).
func runKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("keygen", "projector keygen [--origin NAME] FILE   (writes the secret key to FILE unless it exists, prints the verifier key and the nkey)", stderr)
	origin := fs.String("origin", cli.EnvOr("LEDGER_CHECKPOINT_ORIGIN", ""), "the ledger's origin, the name of the key ($LEDGER_CHECKPOINT_ORIGIN; default: the key's name, or "+audit.DefaultOrigin+")")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("keygen needs the file to write the secret key to")
	}
	s, vkey, err := projector.LoadOrCreateKey(fs.Arg(0), *origin)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, vkey)
	fmt.Fprintln(stdout, s.NKey())
	return nil
}
