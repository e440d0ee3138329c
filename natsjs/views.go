package natsjs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The projector's JetStream resources, a stable contract for downstream
// services:
//
//	KV bucket LEX_STATE      key {act tokens joined by '.'}: the act's current state (JSON,
//	                         at most 64 KiB: a larger state is cut and marked truncated,
//	                         docs/PROJECTIONS.md)
//	subject   lex.changes.{act tokens}            a notice of each change of an act's state
//	stream    LEX_NOTICES    lex.notices.{what}.{act tokens}: on the day an act enters
//	                         into force, is suspended, or ceases to be in force; each
//	                         notice once, whatever the number of projectors
//	object store LEX_PROJECTIONS: the projectors' snapshots
//	stream    LEX_CHECKPOINTS  lex.checkpoints: signed checkpoints of the stream's Merkle tree
const (
	CheckpointsStream  = "LEX_CHECKPOINTS"
	CheckpointsSubject = "lex.checkpoints"
	StateBucket        = "LEX_STATE"
	SnapshotBucket     = "LEX_PROJECTIONS"
	NoticesStream      = "LEX_NOTICES"
	ChangesPrefix      = "lex.changes"
	NoticesPrefix      = "lex.notices"
	noticesDupe        = 48 * time.Hour
	snapshotHeaderS    = "Lex-Last-Seq"
)

// Views gives the projector its JetStream resources: the snapshot object
// store, the state KV bucket, change and day notices.
type Views struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	obs     jetstream.ObjectStore
	replica int
}

// OpenViews opens the projector's bucket, object store, notices and
// checkpoints streams, creating those that do not exist yet. An existing
// one is used as it is, never updated: a projector needs no right to
// change its streams' configuration (one that could would be able to
// republish into lex.events.>, docs/OPERATIONS.md), and changing them is
// an admin's task.
func OpenViews(ctx context.Context, nc *nats.Conn, replicas int) (*Views, error) {
	if replicas <= 0 {
		replicas = 1
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, StateBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: StateBucket, Description: "Lex Ledger: each act's current state", History: 1, Storage: jetstream.FileStorage, Replicas: replicas})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, StateBucket) // created meanwhile by another projector
		}
	}
	if err != nil {
		return nil, fmt.Errorf("state bucket %s: %w", StateBucket, err)
	}
	obs, err := js.ObjectStore(ctx, SnapshotBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: SnapshotBucket, Description: "Lex Ledger: projection snapshots", Storage: jetstream.FileStorage, Replicas: replicas})
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = js.ObjectStore(ctx, SnapshotBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot store %s: %w", SnapshotBucket, err)
	}
	err = openOrCreateStream(ctx, js, jetstream.StreamConfig{Name: NoticesStream, Description: "Lex Ledger: notices of the day an act enters into force, is suspended or ends",
		Subjects: []string{NoticesPrefix + ".>"}, Storage: jetstream.FileStorage, Duplicates: noticesDupe, Replicas: replicas, AllowDirect: true})
	if err != nil {
		return nil, fmt.Errorf("notices stream %s: %w", NoticesStream, err)
	}
	err = openOrCreateStream(ctx, js, jetstream.StreamConfig{Name: CheckpointsStream, Description: "Lex Ledger: signed checkpoints of the stream's Merkle tree",
		Subjects: []string{CheckpointsSubject}, Storage: jetstream.FileStorage, Replicas: replicas, AllowDirect: true,
		DenyDelete: true, DenyPurge: true, Duplicates: time.Hour})
	if err != nil {
		return nil, fmt.Errorf("checkpoints stream %s: %w", CheckpointsStream, err)
	}
	return &Views{nc: nc, js: js, kv: kv, obs: obs, replica: replicas}, nil
}

// OpenViewsForReading opens the views that exist, to read them, creating
// nothing: the state bucket and the checkpoints stream, found through an
// import of the projector's account (ViewsAPIPrefix, as the clients'
// account has on a server configured by `ledger nats-config`) or in the
// user's own account. A view that does not exist yet reads as empty; the
// snapshot store is not opened.
func OpenViewsForReading(ctx context.Context, nc *nats.Conn) (*Views, error) {
	js, _, _, err := locate(ctx, nc, CheckpointsStream, "", ViewsAPIPrefix)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		err = nil // no checkpoint yet
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoints stream %s: %w", CheckpointsStream, mapError(err))
	}
	kv, err := js.KeyValue(ctx, StateBucket)
	if err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("state bucket %s: %w", StateBucket, mapError(err))
	}
	return &Views{nc: nc, js: js, kv: kv, replica: 1}, nil
}

// openOrCreateStream creates the stream cfg names unless it exists.
func openOrCreateStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	_, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = createStream(ctx, js, cfg)
	}
	return err
}

// createStreamTries bounds createStream's attempts, createStreamPause the
// wait before the first retry (doubled at each).
const (
	createStreamTries = 6
	createStreamPause = 50 * time.Millisecond
)

// createStream creates the stream cfg names, or opens it when another
// process created it meanwhile. A store the server could not make is tried
// again for about a second and a half: right after a stream of the same
// name was deleted, the server may still be removing its files.
func createStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	pause := createStreamPause
	for try := 1; ; try++ {
		s, err := js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return js.Stream(ctx, cfg.Name)
		}
		var apiErr *jetstream.APIError
		if err == nil || try == createStreamTries || !errors.As(err, &apiErr) || apiErr.ErrorCode != jsErrCodeStreamCreate {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(pause):
		}
		pause *= 2
	}
}

func actKey(act events.ActID) string { return strings.Join(act.Tokens(), ".") }

// PutState writes an act's current state into the state bucket.
func (v *Views) PutState(ctx context.Context, act events.ActID, state []byte) error {
	_, err := v.kv.Put(ctx, actKey(act), state)
	return mapError(err)
}

// putChunk bounds the state writes in flight: more than the async
// publisher allows (4,000) stalls it, and the writes beyond fail.
const putChunk = 512

// PutStates writes several acts' states into the state bucket, pipelined
// in chunks of putChunk, each waited for. It returns the acts whose state
// was not written (to write again) and the first error; an act is never
// left out unsaid. A state larger than the server or the bucket takes is
// an *events.Error with events.CodeTooLarge; a write this user may not
// make, eventlog.ErrForbidden (seen once ctx ends: the server does not
// answer it); an engine that does not answer, eventlog.ErrUnavailable.
func (v *Views) PutStates(ctx context.Context, states map[events.ActID][]byte) (failed []events.ActID, err error) {
	acts := make([]events.ActID, 0, len(states))
	for act := range states {
		acts = append(acts, act)
	}
	for start := 0; start < len(acts); start += putChunk {
		chunk := acts[start:min(start+putChunk, len(acts))]
		futures := make([]jetstream.PubAckFuture, len(chunk))
		for i, act := range chunk {
			f, perr := v.js.PublishAsync("$KV."+StateBucket+"."+actKey(act), states[act])
			if perr != nil {
				failed = append(failed, act)
				if err == nil {
					err = mapViewError(perr)
				}
				continue
			}
			futures[i] = f
		}
		for i, f := range futures {
			if f == nil {
				continue
			}
			select {
			case <-f.Ok():
			case ferr := <-f.Err():
				failed = append(failed, chunk[i])
				if err == nil {
					err = mapViewError(ferr)
				}
			case <-ctx.Done():
				// The rest is unknown: write it all again.
				failed = append(failed, acts[start+i:]...)
				if denied := v.stateWriteDenied(); denied != nil {
					return failed, denied
				}
				return failed, mapError(ctx.Err())
			}
		}
	}
	return failed, err
}

// State reads an act's current state from the state bucket.
func (v *Views) State(ctx context.Context, act events.ActID) ([]byte, error) {
	if v.kv == nil { // opened for reading before the bucket existed
		return nil, jetstream.ErrKeyNotFound
	}
	e, err := v.kv.Get(ctx, actKey(act))
	if err != nil {
		return nil, mapError(err)
	}
	return e.Value(), nil
}

// PublishChange publishes a change notice of an act on lex.changes.{tokens}.
func (v *Views) PublishChange(act events.ActID, data []byte) error {
	return mapViewError(v.nc.Publish(ChangesPrefix+"."+actKey(act), data))
}

// PublishNotice appends a day notice to the notices stream, once: id is
// its deduplication key (the act, what happened and the day), so that
// several projectors publishing the same notice store it once.
func (v *Views) PublishNotice(ctx context.Context, what string, act events.ActID, id string, data []byte) (stored bool, err error) {
	msg := nats.NewMsg(NoticesPrefix + "." + what + "." + actKey(act))
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, id)
	ack, err := v.js.PublishMsg(ctx, msg)
	if err != nil {
		return false, mapError(err)
	}
	return !ack.Duplicate, nil
}

// ErrNoSnapshot is returned by LoadSnapshot when there is none.
var ErrNoSnapshot = errors.New("no snapshot")

// SaveSnapshot stores a snapshot under name, replacing the previous one
// Connected reports whether the views' connection to NATS is up: a
// snapshot saved while it is down can only wait for its timeout.
func (v *Views) Connected() bool { return v.nc.IsConnected() }

// only once the new one is whole.
func (v *Views) SaveSnapshot(ctx context.Context, name string, lastSeq uint64, write func(io.Writer) error) error {
	// Streamed: the snapshot is written into the upload as it is made,
	// not built whole in memory first (at a million events that copy cost
	// more than the write itself). A failed upload or write leaves the
	// previous snapshot in place.
	pr, pw := io.Pipe()
	written := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err)
		written <- err
	}()
	meta := jetstream.ObjectMeta{Name: name, Headers: nats.Header{snapshotHeaderS: []string{strconv.FormatUint(lastSeq, 10)}}}
	_, err := v.obs.Put(ctx, meta, pr)
	pr.CloseWithError(errSnapshotAbandoned) // a writer still writing stops
	if werr := <-written; werr != nil && !errors.Is(werr, errSnapshotAbandoned) {
		return werr
	}
	return mapError(err)
}

var errSnapshotAbandoned = errors.New("the snapshot's upload stopped")

// LoadSnapshot returns the snapshot stored under name, or ErrNoSnapshot.
func (v *Views) LoadSnapshot(ctx context.Context, name string) (io.ReadCloser, error) {
	r, err := v.obs.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, ErrNoSnapshot
	}
	if err != nil {
		return nil, mapError(err)
	}
	return r, nil
}

// DeleteSnapshot removes the snapshot stored under name, if any.
func (v *Views) DeleteSnapshot(ctx context.Context, name string) error {
	err := v.obs.Delete(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil
	}
	return mapError(err)
}

// PublishCheckpoint appends a signed checkpoint (JSON) to the checkpoints
// stream; id deduplicates a checkpoint published twice.
func (v *Views) PublishCheckpoint(ctx context.Context, id string, data []byte) error {
	msg := nats.NewMsg(CheckpointsSubject)
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, id)
	_, err := v.js.PublishMsg(ctx, msg)
	return mapError(err)
}

// Checkpoints returns every checkpoint stored, in order, as JSON.
func (v *Views) Checkpoints(ctx context.Context) ([][]byte, error) {
	s, err := v.js.Stream(ctx, CheckpointsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil // no projector has run yet
	}
	if err != nil {
		return nil, mapError(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	var out [][]byte
	prefix := apiPrefixOf(v.js)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		// The message get API, not a direct get: clients reach the views
		// through an import of single-message gets only.
		m, err := msgGet(ctx, v.nc, prefix, CheckpointsStream, msgGetRequest{Seq: seq})
		if err != nil {
			return nil, err
		}
		if m == nil {
			continue
		}
		out = append(out, m.Data)
	}
	return out, nil
}

// LastCheckpoint returns the newest checkpoint stored (JSON) that match
// accepts, reading the checkpoints stream backwards from its last
// message, and its sequence in that stream; nil and 0 when none does (or
// the stream does not exist yet). A signer finds its own last checkpoint
// this way, from the stream rather than from memory.
func (v *Views) LastCheckpoint(ctx context.Context, match func(data []byte) bool) ([]byte, uint64, error) {
	s, err := v.js.Stream(ctx, CheckpointsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, mapError(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, 0, mapError(err)
	}
	if info.State.Msgs == 0 {
		return nil, 0, nil
	}
	prefix := apiPrefixOf(v.js)
	for seq := info.State.LastSeq; seq >= max(info.State.FirstSeq, 1); seq-- {
		m, err := msgGet(ctx, v.nc, prefix, CheckpointsStream, msgGetRequest{Seq: seq})
		if err != nil {
			return nil, 0, err
		}
		if m != nil && match(m.Data) {
			return m.Data, seq, nil
		}
	}
	return nil, 0, nil
}
