package natsjs

import (
	"errors"
	"sync"
	"time"

	"github.com/lexledger/lexledger/eventlog"
)

// LeaveAfter is how long a store's writes, and the reads of acts that
// precede them, may go on failing unanswered (timeouts, no leader, no
// responders) while its connection is up before
// the connection leaves its server for another of the cluster's. A server
// cut off from the rest of a cluster answers its clients' pings, so
// the client library stays with it for as long as the partition lasts,
// and every append fails (issue 17's runs: a ledger on a partitioned
// node resumed only 6.8 s after the heal, 21.8 s after the fault). The
// rest of the cluster elects a new leader in 4 to 9 s; past that, a
// server that still takes no write is no longer the way to the stream.
const LeaveAfter = 6 * time.Second

// leaver decides when to leave: it keeps when unanswered write failures
// began (since the last write that was answered) and when it last left.
type leaver struct {
	mu       sync.Mutex
	failing  time.Time // when the unanswered failures since an answer began; zero for none
	answered time.Time // the last answer
	left     time.Time // when the connection last left its server, since an answer
	futile   int       // leaves since an answer, but the first
}

// note records the outcome of a write sent at sent, known at now, and
// reports whether the connection should leave its server now: writes
// sent since LeaveAfter ago have failed unanswered, and it has not left
// since (LeaveAfter, doubled for each leave that did not help).
func (l *leaver) note(unanswered bool, sent, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !unanswered {
		l.failing, l.left, l.futile = time.Time{}, time.Time{}, 0
		l.answered = now
		return false
	}
	if l.failing.IsZero() {
		// A call sent before the last answer and failing after it says
		// nothing of the time since the answer.
		l.failing = sent
		if sent.Before(l.answered) {
			l.failing = l.answered
		}
	}
	// Each leave that no answered write followed doubles the wait for the
	// next (up to 16 times): when no server takes writes (a quorum lost),
	// leaving again and again would only drop what is in flight as the
	// quorum comes back.
	if now.Sub(l.failing) < LeaveAfter || (!l.left.IsZero() && now.Sub(l.left) < LeaveAfter<<min(l.futile, 4)) {
		return false
	}
	if !l.left.IsZero() {
		l.futile++
	}
	l.left = now
	return true
}

// noteWrite feeds the error of a write sent at sent to the store's
// leaver and, when it says so, makes the connection leave its server: a
// reconnection to the next server of its pool, the one it leaves going to
// the end. A failure while the stream is weakened or gone (the gate) is
// not one of reach; a connection that knows one server only, or is not
// connected (the client library is already reconnecting), is left alone.
func (s *Store) noteWrite(err error, sent time.Time) {
	if err == nil || !errors.Is(err, eventlog.ErrUnavailable) {
		s.leave.note(false, sent, time.Now())
		return
	}
	if s.gateErr() != nil || !s.nc.IsConnected() || len(s.nc.Servers()) < 2 {
		return
	}
	if s.leave.note(true, sent, time.Now()) {
		_ = s.nc.ForceReconnect()
	}
}
