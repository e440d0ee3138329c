package ledger

import "errors"

// The ledger appends through an eventlog.Store (package eventlog holds the
// port: Entry, Message, Result, Position and the store's errors).

// ErrClosed is returned for a command taken after Close.
var ErrClosed = errors.New("the ledger is closed")
