package natsjs

// ThroughImport returns a copy of s that reads as a store found through
// another account's import does (message gets, no consumer), so
// that tests on one account cover both ways of reading.
func ThroughImport(s *Store) *Store {
	c := *s
	c.direct = true
	return &c
}
