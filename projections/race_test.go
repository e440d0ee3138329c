//go:build race

package projections_test

// raceEnabled: the race detector slows the single-goroutine property test
// tenfold; it runs fewer histories then.
const raceEnabled = true
