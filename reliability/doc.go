// Package reliability holds the long version of the ledger's proof under
// load, faults and bad input, behind the build tag reliability (its tests
// kill real processes and take minutes): RELIABILITY.md describes each
// scenario and its last figures. Run it with
//
//	go test -tags reliability -count=1 -timeout 30m ./reliability
//
// Without the tag this package is empty; the short version is the normal
// test suite.
package reliability
