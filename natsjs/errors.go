package natsjs

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/lexledger/lexledger/eventlog"
)

// JetStream's error codes (the err_code of an API error) that the store
// tells apart and that nats.go does not name. The server's own names, from
// its errors.json, are in the comments.
const (
	// jsErrCodeDuplicateMessageInProcess (JSStreamDuplicateMessageConflict,
	// 409, "duplicate message id is in process"): a message with the same
	// Nats-Msg-Id is being stored by another publish. Nothing was written.
	jsErrCodeDuplicateMessageInProcess jetstream.ErrorCode = 10158
	// jsErrCodeExpectedLastSubjSeqNotReady
	// (JSStreamExpectedLastSeqPerSubjectNotReady, 503, "expected last
	// sequence per subject temporarily unavailable"): the stream's leader
	// cannot check a per-subject expectation yet (a new leader still
	// catching up). Nothing was written, and the act did not change: it is
	// a retryable unavailability, not a conflict.
	jsErrCodeExpectedLastSubjSeqNotReady jetstream.ErrorCode = 10163
	// jsErrCodeStreamCreate (JSStreamCreateErrF, 500): the server could not
	// create the stream; "error creating store for stream" when its store
	// could not be made, as happens for a moment after a stream of the same
	// name was deleted while the server still removes its files.
	jsErrCodeStreamCreate jetstream.ErrorCode = 10049
)

// mapError turns NATS errors into the port's, keeping the original as
// the cause:
//
//   - a wrong last sequence (10071, and 10164 on replicated streams) and a
//     duplicate message id (10158, and 10201 within a batch) wrap
//     eventlog.ErrConflict;
//   - an expectation the leader cannot check yet (10163), a stream not
//     found (10059: deleted while the process ran), any other API
//     error with status 503, no responders, a closed or lost connection and
//     a timeout wrap eventlog.ErrUnavailable;
//   - anything else is returned as it is.
func mapError(err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant,
			jetstreamext.JSErrCodeBatchPublishDuplicateMsgID, jsErrCodeDuplicateMessageInProcess:
			return fmt.Errorf("%w: %w", eventlog.ErrConflict, err)
		case jsErrCodeExpectedLastSubjSeqNotReady:
			return fmt.Errorf("%w: %w", eventlog.ErrUnavailable, err)
		case jetstream.JSErrCodeStreamNotFound:
			// The stream is gone (deleted: the watcher says so); no read
			// or write can be served until it is restored.
			return fmt.Errorf("%w: %w", eventlog.ErrUnavailable, err)
		}
		if apiErr.Code == 503 {
			return fmt.Errorf("%w: %w", eventlog.ErrUnavailable, err)
		}
		return err
	}
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrDisconnected) {
		return fmt.Errorf("%w: %w", eventlog.ErrUnavailable, err)
	}
	return err
}
