package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/backup"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/witness"
	"github.com/nats-io/nats.go"
)

// verifyOptions say what verifyStream demands beyond a sound replay.
type verifyOptions struct {
	keys  []string
	quiet bool
	// stream is the name the state remembers the stream by.
	stream string
	// policy, when set, is applied to the checkpoints (with --key).
	policy *audit.Policy
	// prev is the state remembered by the last run that passed, if any.
	prev *audit.State
}

// rememberFlags are verify's flags of the auditor's state, its policy and
// its backups.
type rememberFlags struct {
	state, backup, checkpointsBackup *string
	maxUncovered                     *uint64
	maxAge                           *time.Duration
	witnessKeys                      stringList
	witnessQuorum                    *int
}

func addRememberFlags(fs *flag.FlagSet) *rememberFlags {
	r := &rememberFlags{
		state:             fs.String("state", "", "remember the verified tree and newest checkpoint in FILE (JSON, mode 0600), and on every later run demand that the stream extend them (docs/VERIFY.md, §4); the file is advanced only when the run passes"),
		backup:            fs.String("backup", "", "verify the backup in DIR (as 'ledger backup --out DIR' wrote it) instead of a server: it is restored into an embedded server in a temporary directory, removed afterwards"),
		checkpointsBackup: fs.String("checkpoints-backup", "", "with --backup: the backup of the checkpoints stream (ledger backup --stream LEX_CHECKPOINTS --out DIR2)"),
		maxUncovered:      fs.Uint64("max-uncovered", audit.DefaultMaxUncovered, "with --key: the most events that may follow the newest checkpoint"),
		maxAge:            fs.Duration("max-checkpoint-age", audit.DefaultMaxCheckpointAge, "with --key: the most time since the newest checkpoint was signed while events follow it (0: no bound)"),
		witnessQuorum:     fs.Int("witness-quorum", 0, "with --witness-key: how many of the witnesses must have cosigned the newest checkpoint (default: a majority of them)"),
	}
	fs.Var(&r.witnessKeys, "witness-key", "a witness whose cosignature the newest checkpoint needs: its cosignature/v1 verifier key (as 'ledger witness init' prints it), or @FILE of such keys, one a line (repeatable)")
	return r
}

// policy checks the flags and returns the policy to apply: nil without
// --key, when the checkpoints' signer is not pinned.
func (r *rememberFlags) policy(fs *flag.FlagSet, keys []string) (*audit.Policy, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	wkeys, err := readWitnessKeys(r.witnessKeys)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		for _, name := range []string{"max-uncovered", "max-checkpoint-age", "witness-key", "witness-quorum"} {
			if set[name] {
				return nil, fmt.Errorf("--%s is a rule for the checkpoints of a pinned signer: give its verifier key with --key too", name)
			}
		}
		return nil, nil
	}
	if set["witness-quorum"] && len(wkeys) == 0 {
		return nil, errors.New("--witness-quorum needs the witnesses' keys: give --witness-key")
	}
	distinct := map[string]bool{}
	for _, k := range wkeys {
		v, err := witness.NewCosignatureVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("--witness-key %q: %w (give the cosignature/v1 verifier key that 'ledger witness init' printed, or 'ledger witness vkey --dir DIR' prints)", k, err)
		}
		distinct[fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())] = true
	}
	if q := *r.witnessQuorum; set["witness-quorum"] && (q < 1 || q > len(distinct)) {
		return nil, fmt.Errorf("--witness-quorum %d: give a number from 1 to %d, the number of distinct witness keys", q, len(distinct))
	}
	if *r.maxAge < 0 {
		return nil, fmt.Errorf("--max-checkpoint-age %s: give a positive duration such as 24h, or 0 for no bound", *r.maxAge)
	}
	return &audit.Policy{MaxUncovered: *r.maxUncovered, MaxAge: *r.maxAge, Now: time.Now(), WitnessKeys: wkeys, WitnessQuorum: *r.witnessQuorum}, nil
}

// readWitnessKeys reads the --witness-key values: keys, and files of keys
// (@FILE: one a line; blank lines and lines starting with # are skipped).
func readWitnessKeys(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		file, ok := strings.CutPrefix(v, "@")
		if !ok {
			out = append(out, strings.TrimSpace(v))
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--witness-key %s: %w", v, err)
		}
		n := len(out)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("--witness-key %s: %w", v, err)
		}
		if len(out) == n {
			return nil, fmt.Errorf("--witness-key %s: the file holds no key (one cosignature/v1 verifier key a line)", v)
		}
	}
	return out, nil
}

// readState reads the state file of --state, if any, for the stream.
func readState(path, stream string) (*audit.State, error) {
	if path == "" {
		return nil, nil
	}
	s, found, err := audit.ReadState(path)
	if err != nil || !found {
		return nil, err
	}
	if s.Stream != stream {
		return nil, fmt.Errorf("the state file %s remembers stream %s, and this run verifies %s: keep a state file for each stream (--state)", path, s.Stream, stream)
	}
	return &s, nil
}

// openBackup restores the backup in dir (and the checkpoints' backup in
// cpDir, when given) into an embedded server listening on no port, with
// its store in a new temporary directory, and opens them for reading. The
// returned func stops the server and removes the directory.
func openBackup(ctx context.Context, dir, cpDir string, cfg natsjs.Config) (*natsjs.Store, *natsjs.Views, func(), error) {
	tmp, err := os.MkdirTemp("", "lexledger-verify-backup-")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("a temporary directory to restore the backup into: %w", err)
	}
	srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: tmp, Port: -1, Name: "lexledger-verify"})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, nil, err
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("lexledger-verify"))
	stop := func() {
		if nc != nil {
			nc.Close()
		}
		srv.Shutdown()
		srv.WaitForShutdown()
		os.RemoveAll(tmp)
	}
	if err != nil {
		stop()
		return nil, nil, nil, fmt.Errorf("connect to the embedded server: %w", err)
	}
	fail := func(err error) (*natsjs.Store, *natsjs.Views, func(), error) {
		stop()
		return nil, nil, nil, err
	}
	if _, err := backup.Restore(ctx, nc, dir, backup.Options{Stream: cfg.Stream}); err != nil {
		return fail(fmt.Errorf("--backup %s: %w", dir, err))
	}
	if cpDir != "" {
		if _, err := backup.Restore(ctx, nc, cpDir, backup.Options{Stream: natsjs.CheckpointsStream}); err != nil {
			return fail(fmt.Errorf("--checkpoints-backup %s: %w", cpDir, err))
		}
	}
	octx, cancel := context.WithTimeout(ctx, cli.OpenTimeout)
	defer cancel()
	store, err := natsjs.OpenForReading(octx, nc, cfg)
	if err != nil {
		return fail(err)
	}
	views, err := natsjs.OpenViewsForReading(octx, nc)
	if err != nil {
		return fail(err)
	}
	return store, views, stop, nil
}

// checkBackupFlags refuses --backup with a server's flags, and
// --checkpoints-backup without --backup.
func (r *rememberFlags) checkBackupFlags(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *r.checkpointsBackup != "" && *r.backup == "" {
		return errors.New("--checkpoints-backup goes with --backup DIR, the backup of the events")
	}
	if *r.backup != "" && (set["nats-url"] || set["nats-nkey"] || set["nats-ca"]) {
		return errors.New("give --backup DIR or a server (--nats-url), not both: a backup is verified without a server")
	}
	return nil
}

// printRemembered says what the state file now remembers.
func printRemembered(w io.Writer, path string, s audit.State, prev *audit.State) {
	if prev == nil {
		fmt.Fprintf(w, "remembered in %s: tree size %d, root %s", path, s.TreeSize, s.Root)
	} else {
		fmt.Fprintf(w, "the stream extends the tree of %d events verified at %s; remembered in %s: tree size %d, root %s",
			prev.TreeSize, prev.VerifiedAt.Format(time.RFC3339), path, s.TreeSize, s.Root)
	}
	if s.CheckpointSize > 0 {
		fmt.Fprintf(w, ", checkpoint of tree size %d", s.CheckpointSize)
	}
	fmt.Fprintln(w)
}
