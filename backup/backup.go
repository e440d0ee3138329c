// Package backup copies the ledger's stream to a directory and restores it
// into a NATS server, with JetStream's own snapshot API: the server writes
// and reads its store files, so every message comes back with its subject,
// headers, payload, sequence and record time, and the stream with its
// configuration (deny delete and purge, no limits, atomic batches). It is
// the only package that imports github.com/nats-io/jsm.go, which speaks
// the snapshot protocol ($JS.API.STREAM.SNAPSHOT and RESTORE, with flow
// control) for the `nats` tool too.
//
// A backup directory holds what jsm.go writes (backup.json: the stream's
// configuration and state; stream.arc.s2: the snapshot) and this package's
// manifest, lexledger-backup.json.
package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/jsm.go"
	"github.com/nats-io/jsm.go/api"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ManifestFile is the name of the manifest in a backup directory.
const ManifestFile = "lexledger-backup.json"

// Options configure Backup and Restore.
type Options struct {
	// Stream is the stream to back up or restore; natsjs.DefaultStream
	// when empty.
	Stream string
	// Progress, when set, is called as bytes are moved: done of about
	// total (the stream's size for a backup, the archive's for a restore).
	Progress func(done, total uint64)
	// Replicas, for Restore, overrides the backup's replica count (to
	// restore a single-node backup into a three-node cluster); 0 keeps it.
	Replicas int
	// Timeout bounds each request of the protocol; 10 s when zero.
	Timeout time.Duration
}

// Manifest describes a backup: what was backed up, from where, and when.
type Manifest struct {
	Stream        string    `json:"stream"`
	Messages      uint64    `json:"messages"`
	FirstSeq      uint64    `json:"first_sequence"`
	LastSeq       uint64    `json:"last_sequence"`
	Bytes         uint64    `json:"bytes"`
	ServerVersion string    `json:"server_version"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
}

func (o Options) stream() string {
	if o.Stream == "" {
		return natsjs.DefaultStream
	}
	return o.Stream
}

func (o Options) manager(nc *nats.Conn) (*jsm.Manager, error) {
	t := o.Timeout
	if t <= 0 {
		t = 10 * time.Second
	}
	return jsm.New(nc, jsm.WithTimeout(t))
}

// Backup writes a snapshot of the stream into dir, which must not already
// hold a backup; it is created if missing. A backup cancelled through ctx
// or failed leaves no backup behind. The snapshot is taken by the server at
// one point in time: appends may go on meanwhile.
func Backup(ctx context.Context, nc *nats.Conn, dir string, o Options) (Manifest, error) {
	name := o.stream()
	if held, err := holdsBackup(dir); err != nil {
		return Manifest{}, err
	} else if held {
		return Manifest{}, fmt.Errorf("%s already holds a backup: choose a new, empty directory (backups are never overwritten)", dir)
	}
	mgr, err := o.manager(nc)
	if err != nil {
		return Manifest{}, err
	}
	s, err := mgr.LoadStream(name)
	if err != nil {
		if isNotFound(err) {
			return Manifest{}, fmt.Errorf("stream %s does not exist on the server at %s: check --nats-url and --stream", name, nc.ConnectedUrlRedacted())
		}
		return Manifest{}, fmt.Errorf("stream %s: %w", name, err)
	}
	m := Manifest{Stream: name, ServerVersion: nc.ConnectedServerVersion(), Started: time.Now().UTC()}
	opts := []jsm.SnapshotOption{}
	if o.Progress != nil {
		opts = append(opts, jsm.SnapshotNotify(func(p jsm.SnapshotProgress) {
			o.Progress(p.UncompressedBytesReceived(), p.BytesExpected())
		}))
	}
	if _, err := s.SnapshotToDirectory(ctx, dir, opts...); err != nil {
		if ctx.Err() != nil {
			return Manifest{}, fmt.Errorf("backup of %s cancelled; nothing was kept in %s: %w", name, dir, ctx.Err())
		}
		return Manifest{}, fmt.Errorf("backup of %s: %w", name, err)
	}
	meta, err := readMeta(dir)
	if err != nil {
		return Manifest{}, err
	}
	m.Messages, m.FirstSeq, m.LastSeq, m.Bytes = meta.State.Msgs, meta.State.FirstSeq, meta.State.LastSeq, meta.State.Bytes
	m.Finished = time.Now().UTC()
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(data, '\n'), 0o600); err != nil {
		return Manifest{}, fmt.Errorf("write the manifest: %w", err)
	}
	return m, nil
}

// Restore recreates the stream from the backup in dir. It refuses to
// restore over a stream of the same name that already exists, and a backup
// of an event stream whose configuration weakens the ledger's guarantees
// (natsjs.CheckStream); other streams (natsjs.CheckpointsStream) are
// restored as they were. It returns the backup's manifest once the restored
// stream holds as many messages, to the same last sequence, as the backup.
func Restore(ctx context.Context, nc *nats.Conn, dir string, o Options) (Manifest, error) {
	name := o.stream()
	if held, err := holdsBackup(dir); err != nil {
		return Manifest{}, err
	} else if !held {
		return Manifest{}, fmt.Errorf("%s holds no backup (no %s): give the directory that 'ledger backup --out' wrote", dir, jsm.SnapshotMetaFile)
	}
	meta, err := readMeta(dir)
	if err != nil {
		return Manifest{}, err
	}
	if meta.Config.Name != name {
		return Manifest{}, fmt.Errorf("the backup in %s is of stream %s, not %s: restore it with --stream %s (a stream cannot be renamed by a restore)", dir, meta.Config.Name, name, meta.Config.Name)
	}
	cfg := meta.Config
	if o.Replicas > 0 {
		cfg.Replicas = o.Replicas
	}
	if !holdsEvents(cfg) {
		// Another stream (the projector's signed checkpoints): restored as
		// it was, without the event stream's checks.
	} else if problems, err := check(cfg); err != nil {
		return Manifest{}, err
	} else if len(problems) > 0 {
		return Manifest{}, fmt.Errorf("the backup's stream configuration weakens the ledger's guarantees (%s): the ledger would refuse the restored stream; restore it by hand with 'nats stream restore' if it is needed as it is", strings.Join(problems, "; "))
	}
	mgr, err := o.manager(nc)
	if err != nil {
		return Manifest{}, err
	}
	if s, err := mgr.LoadStream(name); err == nil {
		st, _ := s.LatestState()
		return Manifest{}, fmt.Errorf("stream %s already exists on the server at %s (%d messages, last sequence %d): restore refuses to replace a stream; restore into a server (or account) without it, or, if that stream is surely not needed, have an admin delete it first ('nats stream rm %s')",
			name, nc.ConnectedUrlRedacted(), st.Msgs, st.LastSeq, name)
	} else if !isNotFound(err) {
		return Manifest{}, fmt.Errorf("look up stream %s: %w", name, err)
	}
	opts := []jsm.SnapshotOption{jsm.RestoreConfiguration(cfg)}
	if o.Progress != nil {
		var total uint64
		if path, err := jsm.SnapshotDataPath(dir); err == nil {
			if fi, err := os.Stat(path); err == nil {
				total = uint64(fi.Size())
			}
		}
		opts = append(opts, jsm.RestoreNotify(func(p jsm.RestoreProgress) { o.Progress(p.BytesSent(), total) }))
	}
	_, st, err := mgr.RestoreSnapshotFromDirectory(ctx, name, dir, opts...)
	if err != nil {
		what := "failed"
		if ctx.Err() != nil {
			what, err = "was cancelled", ctx.Err()
		}
		return Manifest{}, fmt.Errorf("restore of %s %s: %w; %s", name, what, err, partial(mgr, name, meta.State.Msgs))
	}
	if st.Msgs != meta.State.Msgs || st.LastSeq != meta.State.LastSeq {
		return Manifest{}, fmt.Errorf("restored stream %s holds %d messages to sequence %d, but the backup had %d to %d", name, st.Msgs, st.LastSeq, meta.State.Msgs, meta.State.LastSeq)
	}
	m := Manifest{Stream: name, Messages: st.Msgs, FirstSeq: st.FirstSeq, LastSeq: st.LastSeq, Bytes: st.Bytes}
	if data, err := os.ReadFile(filepath.Join(dir, ManifestFile)); err == nil {
		json.Unmarshal(data, &m)
	}
	return m, nil
}

// partial says what a failed restore left: nats-server keeps the messages
// it stored before the failure as a stream of the backup's name.
func partial(mgr *jsm.Manager, name string, total uint64) string {
	s, err := mgr.LoadStream(name)
	if err != nil {
		return fmt.Sprintf("the server may still create a partial stream %s: check with 'nats stream info %s', and have an admin delete it ('nats stream rm %s') before trying again", name, name, name)
	}
	st, _ := s.LatestState()
	return fmt.Sprintf("the server kept a partial stream %s (%d of the backup's %d messages), which is not the backup: have an admin delete it ('nats stream rm %s') before trying again", name, st.Msgs, total, name)
}

// meta is jsm.go's backup.json.
type meta struct {
	Config api.StreamConfig `json:"config"`
	State  api.StreamState  `json:"state"`
}

func readMeta(dir string) (meta, error) {
	var m meta
	data, err := os.ReadFile(filepath.Join(dir, jsm.SnapshotMetaFile))
	if err != nil {
		return m, fmt.Errorf("read the backup's description: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s in %s is not a backup description: %w", jsm.SnapshotMetaFile, dir, err)
	}
	return m, nil
}

// holdsBackup reports whether dir holds a finished backup (a non-empty
// backup.json, which jsm.go writes last).
func holdsBackup(dir string) (bool, error) {
	fi, err := os.Stat(filepath.Join(dir, jsm.SnapshotMetaFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	}
	return fi.Size() > 0, nil
}

// holdsEvents reports whether a stream configuration is that of a ledger's
// event stream: its subjects are the events' prefix.
func holdsEvents(cfg api.StreamConfig) bool {
	for _, subj := range cfg.Subjects {
		if strings.HasPrefix(subj, natsjs.DefaultPrefix+".") {
			return true
		}
	}
	return false
}

// check runs natsjs.CheckStream on a configuration of jsm.go's API types,
// which carry the same JSON as nats.go's.
func check(cfg api.StreamConfig) ([]string, error) {
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var got jetstream.StreamConfig
	if err := json.Unmarshal(data, &got); err != nil {
		return nil, fmt.Errorf("read the backup's stream configuration: %w", err)
	}
	return natsjs.CheckStream(got, natsjs.Config{Stream: cfg.Name}), nil
}

func isNotFound(err error) bool {
	var apiErr api.ApiError
	if errors.As(err, &apiErr) {
		return apiErr.NotFoundError()
	}
	return false
}
