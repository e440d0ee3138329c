package natsjs

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StoredCheckpoint is one message of the checkpoints stream: its sequence
// there, the time the server stored it, and its bytes (a checkpoint note,
// or the JSON of an older checkpoint).
type StoredCheckpoint struct {
	Seq  uint64
	Time time.Time
	Data []byte
}

// CheckpointLog is the checkpoints stream as an auditor reads it.
type CheckpointLog struct {
	// Exists is false when there is no checkpoints stream at all (none
	// was ever made, or it was deleted).
	Exists bool
	// Messages is the number of messages the stream holds; LastSeq its
	// last sequence.
	Messages, LastSeq uint64
	// Checkpoints are its messages, in order.
	Checkpoints []StoredCheckpoint
}

// ReadCheckpoints reads every message of the checkpoints stream, with its
// sequence and stored time, and says whether the stream exists.
func (v *Views) ReadCheckpoints(ctx context.Context) (CheckpointLog, error) {
	s, err := v.js.Stream(ctx, CheckpointsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return CheckpointLog{}, nil
	}
	if err != nil {
		return CheckpointLog{}, mapError(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return CheckpointLog{}, mapError(err)
	}
	out := CheckpointLog{Exists: true, Messages: info.State.Msgs, LastSeq: info.State.LastSeq}
	prefix := apiPrefixOf(v.js)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := msgGet(ctx, v.nc, prefix, CheckpointsStream, msgGetRequest{Seq: seq})
		if err != nil {
			return CheckpointLog{}, err
		}
		if m != nil {
			out.Checkpoints = append(out.Checkpoints, StoredCheckpoint{Seq: m.Sequence, Time: m.Time, Data: m.Data})
		}
	}
	return out, nil
}
