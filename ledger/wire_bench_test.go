package ledger_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/lexledger/lexledger/ledger"
)

// commandArray is a batch of n commands as `ledger import` sends it.
func commandArray(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"event":{"id":"01J0000000000000000000%04d","act":"/akn/kz/act/2001-01-10/%d","type":"amended","date":"2005-06-17","effective_from":"2005-07-01","instrument":"/akn/kz/act/2005-06-01/7","provisions":["art_7"],"body":{"effect":"substitution","texts":{"art_7":"Article 7 as amended: the court shall hear the case within a reasonable time."}}},"expected_version":%d}`, i, i/10, i%10)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// BenchmarkDecodeCommands measures decoding a batch of 1000 commands, per
// batch.
func BenchmarkDecodeCommands(b *testing.B) {
	data := commandArray(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		cmds, _, err := ledger.DecodeCommands(data)
		if err != nil || len(cmds) != 1000 {
			b.Fatal(len(cmds), err)
		}
	}
}
