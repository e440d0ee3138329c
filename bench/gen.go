package bench

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Generate writes n events as JSON Lines: acts of ten events each (drafted,
// adopted, signed, published, commenced, then five amendments), each act a
// law with its own number (/akn/kz/act/2001-01-10/N, N from 1), every event
// with a deterministic id. It is the load of the benchmarks and of
// `ledger gen`.
func Generate(w io.Writer, n int) error {
	var buf bytes.Buffer
	steps := []string{
		`"type":"drafted","date":"2001-01-10","body":{"title":"Law No. {N} on the administration of justice","kind":"law","drafting_body":"Ministry of Justice","summary":"A generated law that exercises the ledger with a realistic event size."}`,
		`"type":"adopted","date":"2001-03-01","body":{"chamber":"Parliament"}`,
		`"type":"signed","date":"2001-03-15","body":{"signatory":"President"}`,
		`"type":"published","date":"2001-03-20","body":{"gazette":"Kazakhstanskaya Pravda No. {N}"}`,
		`"type":"commenced","date":"2001-03-20","effective_from":"2001-04-01"`,
	}
	for i := 0; i < n; i++ {
		act, k := i/10+1, i%10
		buf.Reset()
		fmt.Fprintf(&buf, `{"id":"%s","act":"%s",`, genID(i), generatedAct(act))
		if k < len(steps) {
			buf.WriteString(strings.ReplaceAll(steps[k], "{N}", strconv.Itoa(act)))
		} else {
			fmt.Fprintf(&buf, `"type":"amended","date":"2005-06-%02d","effective_from":"2005-07-01","instrument":"/akn/kz/act/2005-06-01/%d","provisions":["art_%d"],"body":{"effect":"substitution","texts":{"art_%d":"Article %d as amended: the court shall hear the case within a reasonable time."}}`,
				k+10, act, k, k, k)
		}
		buf.WriteString("}\n")
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// generatedAct is the act of Generate's events with number n (from 1).
func generatedAct(n int) string { return "/akn/kz/act/2001-01-10/" + strconv.Itoa(n) }

// genID returns the i-th of a fixed sequence of valid ULIDs.
func genID(i int) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := []byte("01J0000000000000000000000")
	v := uint64(i)
	for p := len(b) - 1; p >= 3 && v > 0; p-- {
		b[p] = alphabet[v%32]
		v /= 32
	}
	return string(b) + "0"
}
