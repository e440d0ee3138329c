package audit_test

import (
	"testing"

	"github.com/lexledger/lexledger/audit"
)

// BenchmarkAddStored is the verifier's own CPU per event of `projector
// verify` (AddStored on the stored bytes, then the report), without
// reading: 10,000 sealed events over 1,000 acts, interleaved.
//
//	go test ./audit -run '^$' -bench AddStored -benchmem -count 3
func BenchmarkAddStored(b *testing.B) {
	recs := sealChain(b, 10_000, 1_000)
	subjects := make([]string, len(recs))
	for i, r := range recs {
		subjects[i] = "lex" + string(r.act)
	}
	b.ResetTimer()
	for b.Loop() {
		v := audit.NewVerifier(nil)
		for i, r := range recs {
			v.AddStored(r.seq, subjects[i], r.act, nil, r.data)
		}
		if rep := v.Report(); !rep.OK {
			b.Fatalf("the chain does not verify: %v", rep.Failures)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/event")
}
