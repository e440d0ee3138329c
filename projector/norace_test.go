//go:build !race

package projector_test

const pebbleOnGoHeap = false
