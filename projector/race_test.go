//go:build race

package projector_test

// pebbleOnGoHeap: under the race detector Pebble may allocate its block
// cache and memtables on the Go heap (its invariants build), so that the
// live heap counts them (measured: 500 to 1,312 B an event for the
// projection at 20,000 events); otherwise, with cgo, they are outside it.
const pebbleOnGoHeap = true
