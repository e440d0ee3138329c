package natsjs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// MaxPayload is the largest message the connected server takes (its
// max_payload), as it announced; the projector's feed keeps its messages
// far under it.
func (v *Views) MaxPayload() int64 { return v.nc.MaxPayload() }

// mapViewError maps the errors of a write into a view as mapError does,
// and tells apart the two that retrying does not cure: a message larger
// than the server or the bucket takes (an *events.Error with
// events.CodeTooLarge) and a subject this user may not publish on
// (eventlog.ErrForbidden).
func mapViewError(err error) error {
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, nats.ErrMaxPayload),
		errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum:
		return &events.Error{Code: events.CodeTooLarge, Message: "the message is larger than the server or the bucket takes: " + err.Error(), Err: err}
	case errors.Is(err, nats.ErrPermissionViolation):
		return fmt.Errorf("%w: %w", eventlog.ErrForbidden, err)
	}
	return mapError(err)
}

// stateWriteDenied returns the permissions violation the server reported
// for a write into the state bucket, if that was the connection's last
// error: the server drops such a publish without an answer, so that a
// write waits for an acknowledgement that never comes.
func (v *Views) stateWriteDenied() error {
	err := v.nc.LastError()
	if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), "$KV."+StateBucket+".") {
		return mapViewError(err)
	}
	return nil
}
