package natsjs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
)

// JetStream's refusals become the port's errors, keeping the server's
// answer as the cause, and reach clerks with one status over HTTP and NATS.
// 10163 cannot be provoked on demand from a single embedded server (it is
// answered by a clustered stream's new leader still catching up), so the
// answers are constructed as the client library returns them.
func TestMapError(t *testing.T) {
	tests := []struct {
		name   string
		code   jetstream.ErrorCode
		status int // the API error's own status
		want   error
		kind   events.Code
	}{
		{"wrong last sequence", jetstream.JSErrCodeStreamWrongLastSequence, 400, eventlog.ErrConflict, events.CodeConflict},
		{"wrong last sequence, replicated", jetstream.JSErrCodeStreamWrongLastSequenceConstant, 400, eventlog.ErrConflict, events.CodeConflict},
		{"duplicate message id in process", jsErrCodeDuplicateMessageInProcess, 409, eventlog.ErrConflict, events.CodeConflict},
		{"expected last subject sequence not ready", jsErrCodeExpectedLastSubjSeqNotReady, 503, eventlog.ErrUnavailable, events.CodeUnavailable},
		{"another 503", jetstream.JSErrCodeJetStreamNotEnabled, 503, eventlog.ErrUnavailable, events.CodeUnavailable},
		{"stream not found", jetstream.JSErrCodeStreamNotFound, 404, eventlog.ErrUnavailable, events.CodeUnavailable},
		{"message too large", jetstream.JSErrCodeStreamMessageExceedsMaximum, 400, nil, events.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiErr := &jetstream.APIError{Code: tt.status, ErrorCode: tt.code, Description: tt.name}
			err := mapError(fmt.Errorf("publish: %w", apiErr))
			for _, sentinel := range []error{eventlog.ErrConflict, eventlog.ErrUnavailable} {
				if got, want := errors.Is(err, sentinel), sentinel == tt.want; got != want {
					t.Errorf("JetStream %d mapped to %v: errors.Is(%q) is %t, want %t", tt.code, err, sentinel, got, want)
				}
			}
			var cause *jetstream.APIError
			if !errors.As(err, &cause) || cause.ErrorCode != tt.code {
				t.Errorf("JetStream %d mapped to %v, which no longer holds the server's answer", tt.code, err)
			}
			// The clerk's answer, the same for both transports.
			status, body := ledger.DescribeError(err)
			if body.Error.Code != tt.kind || status != tt.kind.Status() {
				t.Errorf("JetStream %d reaches the clerk as %d %s, want %d %s", tt.code, status, body.Error.Code, tt.kind.Status(), tt.kind)
			}
		})
	}
}
