package events

import "testing"

var benchEvent = []byte(`{"id":"01J00000000000000000000001","act":"/akn/kz/act/2001-01-10/7","type":"amended","date":"2005-06-17","effective_from":"2005-07-01","instrument":"/akn/kz/act/2005-06-01/7","provisions":["art_7"],"body":{"effect":"substitution","texts":{"art_7":"Article 7 as amended: the court shall hear the case within a reasonable time."}}}`)

// BenchmarkDecode measures decoding a typical event: Decode (its fast
// path) against the strict decoder that every unusual input and every
// error goes through.
func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name   string
		decode func([]byte) (Event, error)
	}{{"Decode", Decode}, {"strict", decodeStrict}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(benchEvent); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
