package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// The wire format of commands, shared by every transport (HTTP, NATS):
//
//	{"event": {...}, "expected_version": 3}        one event
//	[{"event": {...}}, {"event": {...}}, ...]      an atomic batch
//
// expected_version is optional. The event is in the encoding of package
// events, without recorded_at and recorded_by.
type commandJSON struct {
	Event           json.RawMessage `json:"event"`
	ExpectedVersion *uint64         `json:"expected_version,omitempty"`
}

// DecodeCommands parses one command or an array of commands. batch reports
// whether the input was an array. Errors are *events.Error with CodeInvalid
// or CodeTooLarge, naming the position of the bad command in an array.
func DecodeCommands(data []byte) (cmds []Command, batch bool, err error) {
	if cmds, batch, ok := decodeCommandsFast(data); ok {
		return cmds, batch, nil
	}
	return decodeCommandsStrict(data)
}

// decodeCommandsStrict is DecodeCommands with encoding/json: every input,
// every error.
func decodeCommandsStrict(data []byte) (cmds []Command, batch bool, err error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var raws []json.RawMessage
		if err := events.StrictUnmarshal(data, &raws); err != nil {
			return nil, true, err
		}
		if len(raws) == 0 {
			return nil, true, events.Errorf(events.CodeInvalid, "the array is empty: send at least one command")
		}
		cmds = make([]Command, len(raws))
		for i, raw := range raws {
			c, err := decodeCommand(raw)
			if err != nil {
				return nil, true, at(i, len(raws), err)
			}
			cmds[i] = c
		}
		return cmds, true, nil
	}
	c, err := decodeCommand(data)
	if err != nil {
		return nil, false, err
	}
	return []Command{c}, false, nil
}

// commandKeys are the fields of a command, for strict decoding.
var commandKeys = []string{"event", "expected_version"}

func decodeCommand(data []byte) (Command, error) {
	if err := events.CheckKeys(data, commandKeys); err != nil {
		return Command{}, err
	}
	var cj commandJSON
	if err := events.StrictUnmarshal(data, &cj); err != nil {
		return Command{}, err
	}
	if len(cj.Event) == 0 || string(cj.Event) == "null" {
		return Command{}, events.Errorf(events.CodeInvalid, "the command has no \"event\": send {\"event\": {...}, \"expected_version\": N}")
	}
	e, err := events.Decode(cj.Event)
	if err != nil {
		return Command{}, err
	}
	return Command{Event: e, ExpectedVersion: cj.ExpectedVersion}, nil
}

// EncodeCommand returns the wire form of one command.
func EncodeCommand(c Command) ([]byte, error) {
	ev, err := events.Encode(&c.Event)
	if err != nil {
		return nil, err
	}
	return json.Marshal(commandJSON{Event: ev, ExpectedVersion: c.ExpectedVersion})
}

// EncodeCommands returns the wire form of a batch of commands: a JSON
// array, as DecodeCommands reads it and POST /v1/events takes it.
func EncodeCommands(cmds []Command) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, c := range cmds {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := EncodeCommand(c)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// ErrorJSON is the wire form of an error: {"error": {...}}.
type ErrorJSON struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a stable code, the rule broken if any,
// and a message that says what to do.
type ErrorDetail struct {
	Code           events.Code  `json:"code"`
	Rule           events.Rule  `json:"rule,omitempty"`
	Message        string       `json:"message"`
	Act            events.ActID `json:"act,omitempty"`
	CurrentVersion *uint64      `json:"current_version,omitempty"`
	Index          int          `json:"index,omitempty"`
}

// Err turns the wire form back into an *events.Error.
func (d ErrorDetail) Err() *events.Error {
	e := &events.Error{Code: d.Code, Rule: d.Rule, Message: d.Message, Act: d.Act, Index: d.Index}
	if d.CurrentVersion != nil {
		e.Current = *d.CurrentVersion
	}
	return e
}

// DescribeError returns the status (the code's Status, for HTTP and the
// NATS service alike) and wire form of any error a command or a read can
// end with. An error that is not an *events.Error is given a kind: a
// store's unavailability, a closed ledger or a deadline is unavailable, a
// store's conflict is a conflict, anything else internal.
func DescribeError(err error) (int, ErrorJSON) {
	e := Kind(err)
	d := ErrorDetail{Code: e.Code, Rule: e.Rule, Message: e.Message, Act: e.Act, Index: e.Index}
	if e.Code == events.CodeConflict {
		v := e.Current
		d.CurrentVersion = &v
	}
	return e.Code.Status(), ErrorJSON{Error: d}
}

// Kind returns err as an *events.Error: the first in its chain, or else a
// new one of the kind its cause says, wrapping it, with a message that
// tells the clerk what to do.
func Kind(err error) *events.Error {
	var e *events.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, eventlog.ErrConflict):
		return &events.Error{Code: events.CodeConflict, Err: err, Message: fmt.Sprintf("%v: read the act again and decide again", err)}
	case errors.Is(err, eventlog.ErrUnavailable), errors.Is(err, ErrClosed),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return unavailable(err)
	}
	return &events.Error{Code: events.CodeInternal, Err: err, Message: fmt.Sprintf("internal error: %v; the event may or may not be recorded: retry with the same event id, which is safe", err)}
}

// unavailable returns the error a clerk gets when the store cannot take or
// answer a command: CodeUnavailable, wrapping err; or the store's own
// *events.Error of status 503 in err's chain (events.CodeStreamWeakened),
// which says more.
func unavailable(err error) *events.Error {
	if e := (*events.Error)(nil); errors.As(err, &e) && e.Code.Status() == events.CodeUnavailable.Status() {
		return e
	}
	return &events.Error{Code: events.CodeUnavailable, Err: err, Message: fmt.Sprintf("the event store did not answer (%v): the outcome is unknown; retry with the same event ids, which is safe", err)}
}

// HistoryJSON is the wire form of an act's history: each event with its
// version and stream sequence, {"version", "sequence", "event"}, and the
// messages on the act's subject that are not its events, {"sequence",
// "defect"} (docs/RUNBOOK.md, Defects). Over HTTP it is paged: Version is
// the act's version (all its events), Events and Defects those of the
// page, and NextCursor the cursor= of the next page, empty on the last.
type HistoryJSON struct {
	Act        events.ActID     `json:"act"`
	Version    uint64           `json:"version"`
	Events     []eventlog.Entry `json:"events"`
	Defects    []eventlog.Entry `json:"defects,omitempty"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// NewHistoryJSON returns the wire form of an act's history. The store's
// record time (StoredAt) is not part of it.
func NewHistoryJSON(act events.ActID, entries []eventlog.Entry) HistoryJSON {
	out := HistoryJSON{Act: act, Events: make([]eventlog.Entry, 0, len(entries))}
	for _, e := range entries {
		if e.Defect != nil {
			out.Defects = append(out.Defects, eventlog.Entry{Seq: e.Seq, Defect: e.Defect})
			continue
		}
		out.Events = append(out.Events, eventlog.Entry{Version: e.Version, Seq: e.Seq, Event: e.Event})
	}
	out.Version = uint64(len(out.Events))
	return out
}
