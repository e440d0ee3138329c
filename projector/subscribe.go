package projector

import (
	"sync"

	"github.com/lexledger/lexledger/eventlog"
)

// SubscriberBuffer is how many applied events a subscriber may fall behind
// before it is dropped: its channel is closed, and it subscribes again and
// reads the projection afresh.
const SubscriberBuffer = 256

// subscribers are the receivers of applied events. The zero value is
// ready: Service holds one.
type subscribers struct {
	mu   sync.Mutex
	subs map[chan eventlog.Entry]struct{}
}

// Subscribe returns a channel that receives every event the projection
// applies from now on, in stream order, once it is applied (a read of the
// projection after receiving an entry includes it), and a function that
// ends the subscription and closes the channel.
//
// Applying never waits for a subscriber: one that falls more than
// SubscriberBuffer events behind has its channel closed without more
// entries. A closed channel therefore means "you may have missed events":
// subscribe again and read the projection to catch up.
func (s *Service) Subscribe() (<-chan eventlog.Entry, func()) {
	ch := make(chan eventlog.Entry, SubscriberBuffer)
	s.subs.mu.Lock()
	if s.subs.subs == nil {
		s.subs.subs = map[chan eventlog.Entry]struct{}{}
	}
	s.subs.subs[ch] = struct{}{}
	s.subs.mu.Unlock()
	var once sync.Once
	return ch, func() { once.Do(func() { s.subs.drop(ch) }) }
}

// drop removes ch and closes it, if it is still subscribed.
func (b *subscribers) drop(ch chan eventlog.Entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

// notify hands an applied event to every subscriber without waiting,
// dropping those whose buffer is full.
func (b *subscribers) notify(e eventlog.Entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
			delete(b.subs, ch)
			close(ch)
		}
	}
}
