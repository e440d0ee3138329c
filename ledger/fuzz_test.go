package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
)

// FuzzDecodeCommands checks that DecodeCommands never panics, fails only
// with an *events.Error (invalid or too large) that has a message, and
// returns at least one command when it succeeds, each of which encodes
// again.
func FuzzDecodeCommands(f *testing.F) {
	drafted := `{"act":"/akn/kz/act/2009-12-04/216","type":"drafted","date":"2009-03","body":{"title":"Law on Refugees","kind":"law"}}`
	for _, s := range []string{
		`{"event":` + drafted + `}`,
		`{"event":` + drafted + `,"expected_version":0}`,
		`[{"event":` + drafted + `},{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"adopted","date":"2009-11","body":{"chamber":"Parliament"}}}]`,
		`[]`, `[null]`, `{}`, `{"event":null}`, `{"event":{}}`, `null`, ``, ` [ `,
		`{"event":` + drafted + `,"expected_version":-1}`,
		`{"event":` + drafted + `,"expected_version":18446744073709551616}`,
		`{"event":` + drafted + `,"event":` + drafted + `}`,
		`{"Event":` + drafted + `}`,
		`[[[[[[[[[[]]]]]]]]]]`,
		"{\"event\":{\"act\":\"/akn/kz/act/2009-12-04/\xff\"}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, _, err := ledger.DecodeCommands(data)
		if err != nil {
			var ee *events.Error
			if !errors.As(err, &ee) {
				t.Fatalf("DecodeCommands(%q) = %T %v, want an *events.Error", data, err, err)
			}
			if ee.Code != events.CodeInvalid && ee.Code != events.CodeTooLarge {
				t.Fatalf("DecodeCommands(%q) failed with code %q (%v), want invalid or too_large", data, ee.Code, err)
			}
			if strings.TrimSpace(ee.Message) == "" {
				t.Fatalf("DecodeCommands(%q) failed with code %q and no message", data, ee.Code)
			}
			return
		}
		if len(cmds) == 0 {
			t.Fatalf("DecodeCommands(%q) accepted no command", data)
		}
		for i, c := range cmds {
			if _, err := ledger.EncodeCommand(c); err != nil {
				t.Fatalf("EncodeCommand of command %d decoded from %q: %v", i+1, data, err)
			}
		}
	})
}
