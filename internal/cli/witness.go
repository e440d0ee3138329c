package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/lexledger/lexledger/projector"
)

// WitnessFlags are the flags of the witnesses a signing projector submits
// its checkpoints to (docs/WITNESS.md): --witness URL=VKEY or URL=@FILE,
// repeatable ($LEDGER_WITNESSES, comma- or space-separated), and
// --witness-quorum N ($LEDGER_WITNESS_QUORUM; default a majority).
type WitnessFlags struct {
	specs  []string
	quorum *int
	envErr error
}

// AddWitnessFlags adds the witness flags to fs.
func AddWitnessFlags(fs *flag.FlagSet) *WitnessFlags {
	w := &WitnessFlags{specs: strings.FieldsFunc(EnvOr("LEDGER_WITNESSES", ""), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })}
	fs.Func("witness", "submit each new checkpoint to this witness, URL=VKEY or URL=@FILE (the witness's cosignature verifier key, or a file holding it, as 'ledger witness vkey' prints it); repeatable ($LEDGER_WITNESSES, comma- or space-separated; flags replace it)", w.set())
	q := 0
	if v := EnvOr("LEDGER_WITNESS_QUORUM", ""); v != "" {
		var err error
		if q, err = strconv.Atoi(v); err != nil {
			w.envErr = fmt.Errorf("$LEDGER_WITNESS_QUORUM %q is not a number: give how many witnesses make a quorum", v)
		}
	}
	w.quorum = fs.Int("witness-quorum", q, "how many witnesses' cosignatures make a checkpoint witnessed, between 1 and the witnesses given ($LEDGER_WITNESS_QUORUM; default, 0: a majority)")
	return w
}

// set returns the flag's Set: the first --witness replaces the
// environment's list.
func (w *WitnessFlags) set() func(string) error {
	fromFlags := false
	return func(s string) error {
		if !fromFlags {
			w.specs, fromFlags = nil, true
		}
		w.specs = append(w.specs, s)
		return nil
	}
}

// Witnesses parses the witnesses given and checks the quorum: an error
// says what was wrong and what to give.
func (w *WitnessFlags) Witnesses() ([]projector.Witness, int, error) {
	if w.envErr != nil {
		return nil, 0, w.envErr
	}
	var out []projector.Witness
	seen := map[string]bool{}
	for _, s := range w.specs {
		wt, err := projector.ParseWitness(s)
		if err != nil {
			return nil, 0, fmt.Errorf("--witness: %w", err)
		}
		if seen[wt.VKey] {
			return nil, 0, fmt.Errorf("--witness: witness %s is given twice: give each witness once", wt.Name)
		}
		seen[wt.VKey] = true
		out = append(out, wt)
	}
	q := *w.quorum
	if len(out) == 0 {
		if q != 0 {
			return nil, 0, projector.CheckQuorum(q, 0)
		}
		return nil, 0, nil
	}
	if q == 0 {
		q = projector.MajorityQuorum(len(out))
	}
	if err := projector.CheckQuorum(q, len(out)); err != nil {
		return nil, 0, err
	}
	return out, q, nil
}
