package projector

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/witness"
)

// Witnessing (docs/WITNESS.md): after the signer stores a new checkpoint
// note, it submits it to each configured witness (C2SP tlog-witness), with
// the size the witness last cosigned and a consistency proof from it,
// checks each cosignature against the witness's configured key, and
// stores the note with the cosignatures appended as a second message of
// the checkpoints stream: the same checkpoint, cosigned. Readers take the
// newest message of a tree, so the cosigned form is preferred.
//
// Submission runs in a goroutine of its own, never in the append path:
// one round in flight, and the newest checkpoint wins (a round takes the
// latest checkpoint when it starts). A witness that was down is tried
// again at the next checkpoint interval.
//
// A witness that refuses with evidence that it was shown another tree (a
// bad consistency proof, a conflict at a size that re-proving does not
// resolve, a cosigned size beyond the checkpoint) raises the alarm: the
// readiness check fails naming the witness and why, until the projector
// is restarted (docs/RUNBOOK.md, Witness alarm).

// DefaultWitnessTimeout bounds one submission to one witness.
const DefaultWitnessTimeout = 10 * time.Second

// Witness is a witness the signer submits checkpoints to.
type Witness struct {
	// URL is the witness's submission prefix: checkpoints are POSTed to
	// URL/add-checkpoint.
	URL string
	// VKey is its cosignature/v1 verifier key (name+hash+base64), as
	// `ledger witness vkey` prints it.
	VKey string
	// Name is the key's name, which names the witness in metrics and
	// answers.
	Name string
}

// ParseWitness reads a witness given as URL=VKEY, or URL=@FILE for a file
// that holds the verifier key (as `ledger witness --vkey-out` writes it).
// Its errors say what was wrong and what to give instead.
func ParseWitness(spec string) (Witness, error) {
	raw, key, ok := strings.Cut(strings.TrimSpace(spec), "=")
	if !ok || raw == "" || key == "" {
		return Witness{}, fmt.Errorf("witness %q: want URL=VKEY or URL=@FILE, such as http://witness.example.org:8090=@/etc/lexledger/witness.vkey", spec)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return Witness{}, fmt.Errorf("witness %q: %q is not an http:// or https:// URL with a host (and no query): give the witness's address, such as http://witness.example.org:8090", spec, raw)
	}
	if file, ok := strings.CutPrefix(key, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return Witness{}, fmt.Errorf("witness %s: cannot read its verifier key: %w (write it with 'ledger witness vkey --dir DIR > FILE' or 'ledger witness --vkey-out FILE')", raw, err)
		}
		key = strings.TrimSpace(string(b))
	}
	v, err := witness.NewCosignatureVerifier(key)
	if err != nil {
		return Witness{}, fmt.Errorf("witness %s: verifier key %q: %w (give the key 'ledger witness vkey' prints, name+hash+base64)", raw, clipKey(key), err)
	}
	return Witness{URL: strings.TrimRight(raw, "/"), VKey: key, Name: v.Name()}, nil
}

func clipKey(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// MajorityQuorum is the default quorum of n witnesses: more than half.
func MajorityQuorum(n int) int { return n/2 + 1 }

// CheckQuorum checks a quorum of n witnesses: between 1 and n.
func CheckQuorum(quorum, n int) error {
	if n == 0 {
		return fmt.Errorf("--witness-quorum %d without witnesses: give them with --witness URL=VKEY", quorum)
	}
	if quorum < 1 || quorum > n {
		return fmt.Errorf("--witness-quorum %d: give a number between 1 and the %d witness(es) configured (default: a majority, %d)", quorum, n, MajorityQuorum(n))
	}
	return nil
}

// Failure kinds of a submission, the label kind of the failures metric.
// Those marked alarm raise the witness alarm.
const (
	FailUnreachable    = "unreachable"      // no answer: down, timed out
	FailMalformed      = "malformed"        // 400
	FailUnknownOrigin  = "unknown_origin"   // 404: the witness does not know this log
	FailUnverified     = "unverified"       // 403: the witness does not trust this key
	FailInternal       = "internal"         // 500 or another status
	FailBadCosignature = "bad_cosignature"  // 200, but its cosignature does not verify
	FailBadProof       = "bad_proof"        // alarm: 422
	FailConflict       = "conflict"         // alarm: 409 that re-proving does not resolve
	FailSizeBeyond     = "size_beyond_tree" // alarm: it claims a size beyond the checkpoint
)

// WitnessFailure names a count of failures: a witness and a kind.
type WitnessFailure struct {
	Witness, Kind string
}

// witnessing is the signer's state of its witnesses; its fields are
// guarded by mu, apart from the configuration.
type witnessing struct {
	witnesses []Witness
	quorum    int
	timeout   time.Duration
	client    *http.Client
	kick      chan struct{} // a round is wanted; buffered, one

	mu       sync.Mutex
	size     []uint64 // per witness, the size it last cosigned, as far as known
	failures map[WitnessFailure]uint64
	alarms   map[string]string // witness name: why
}

func newWitnessing(opts Options) *witnessing {
	if len(opts.Witnesses) == 0 {
		return nil
	}
	w := &witnessing{witnesses: opts.Witnesses, quorum: opts.WitnessQuorum, timeout: opts.WitnessTimeout, client: opts.WitnessClient,
		kick: make(chan struct{}, 1), size: make([]uint64, len(opts.Witnesses)), failures: map[WitnessFailure]uint64{}, alarms: map[string]string{}}
	if w.quorum <= 0 {
		w.quorum = MajorityQuorum(len(w.witnesses))
	}
	if w.timeout <= 0 {
		w.timeout = DefaultWitnessTimeout
	}
	if w.client == nil {
		w.client = http.DefaultClient
	}
	return w
}

// kickWitnessing asks for a round of submissions, without waiting.
func (s *Service) kickWitnessing() {
	if s.wit == nil || s.opts.Signer == nil {
		return
	}
	select {
	case s.wit.kick <- struct{}{}:
	default: // one is already wanted: it takes the newest checkpoint
	}
}

// witnessLoop runs the rounds of submissions until ctx ends.
func (s *Service) witnessLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wit.kick:
		}
		s.witnessRound(ctx)
	}
}

// witnessRound submits the latest checkpoint to the witnesses whose
// cosignature it lacks, and stores it cosigned if any cosigned.
func (s *Service) witnessRound(ctx context.Context) {
	c, ok := s.LatestCheckpoint()
	if !ok || c.Note == "" {
		return
	}
	// Only the signer's own checkpoints: the witnesses know its key.
	if c.Origin != s.opts.Signer.Origin() {
		return
	}
	w := s.wit
	type answer struct {
		i     int
		lines []byte
	}
	answers := make(chan answer, len(w.witnesses))
	var wg sync.WaitGroup
	for i, wt := range w.witnesses {
		if _, err := witness.VerifyCosignature(wt.VKey, []byte(c.Note), nil); err == nil {
			continue // cosigned already
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if lines, ok := s.submitTo(ctx, i, c); ok {
				answers <- answer{i, lines}
			}
		}()
	}
	wg.Wait()
	close(answers)
	var got []answer
	for a := range answers {
		got = append(got, a)
	}
	if len(got) == 0 {
		return
	}
	slices.SortFunc(got, func(a, b answer) int { return a.i - b.i })
	cosigned := c
	for _, a := range got {
		cosigned.Note += string(a.lines)
	}
	data, err := audit.MarshalCheckpoint(cosigned)
	if err != nil {
		s.log.Warn("cosigned checkpoint not stored", "err", err)
		return
	}
	sum := sha256.Sum256(data)
	id := fmt.Sprintf("%s:%d:cosigned:%x", c.Key, c.TreeSize, sum[:8])
	// Stored only while it is the latest: a newer checkpoint stored
	// meanwhile wins, and is submitted next.
	s.publishing.Lock()
	defer s.publishing.Unlock()
	if latest, _ := s.LatestCheckpoint(); latest.TreeSize != c.TreeSize || latest.Root != c.Root {
		return
	}
	if err := s.sink.PublishCheckpoint(ctx, id, data); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("cosigned checkpoint not stored; submitted again at the next interval", "tree_size", c.TreeSize, "err", err)
		}
		return
	}
	s.mu.Lock()
	if s.audit.last != nil && s.audit.last.TreeSize == c.TreeSize && s.audit.last.Root == c.Root {
		s.audit.last = &cosigned
	}
	if s.audit.found != nil && s.audit.found.TreeSize == c.TreeSize && s.audit.found.Root == c.Root {
		s.audit.found = &cosigned
	}
	s.mu.Unlock()
	wd := s.Witnessed(cosigned)
	s.log.Info("checkpoint cosigned", "tree_size", c.TreeSize, "cosignatures", strings.Join(wd.Cosignatures, " "), "witnessed", wd.Witnessed, "quorum", wd.Quorum)
}

// submitTo submits c to witness i: from the size it last cosigned as far
// as known, and once more from the size it answers with a 409. It returns
// the verified cosignature lines, or counts the failure (and raises the
// alarm when the refusal is evidence of another tree).
func (s *Service) submitTo(ctx context.Context, i int, c audit.Checkpoint) ([]byte, bool) {
	w := s.wit
	wt := w.witnesses[i]
	w.mu.Lock()
	old := w.size[i]
	w.mu.Unlock()
	if old > c.TreeSize {
		old = 0 // as known before a restart of the witness's state, say: ask it
	}
	for attempt := 0; ; attempt++ {
		proof, err := s.witnessProof(old, c.TreeSize)
		if err != nil {
			s.witnessFailed(wt, FailInternal, fmt.Errorf("cannot prove size %d from size %d: %w", c.TreeSize, old, err))
			return nil, false
		}
		sctx, cancel := context.WithTimeout(ctx, w.timeout)
		lines, err := witness.SubmitWith(sctx, w.client, wt.URL, old, proof, []byte(c.Note))
		cancel()
		if ctx.Err() != nil {
			return nil, false
		}
		var we *witness.Error
		switch {
		case err == nil:
			if _, verr := witness.VerifyCosignature(wt.VKey, []byte(c.Note), lines); verr != nil {
				s.witnessFailed(wt, FailBadCosignature, verr)
				return nil, false
			}
			w.mu.Lock()
			w.size[i] = c.TreeSize
			w.mu.Unlock()
			return lines, true
		case errors.As(err, &we) && we.HasSize && we.Size > c.TreeSize:
			s.witnessFailed(wt, FailSizeBeyond, fmt.Errorf("it says it cosigned this log at size %d, beyond this checkpoint's %d: it was shown a tree this projector never signed: %w", we.Size, c.TreeSize, err))
			return nil, false
		case errors.As(err, &we) && we.HasSize && attempt == 0:
			old = we.Size // re-prove from the witness's size, once
			continue
		case errors.Is(err, witness.ErrConflict):
			s.witnessFailed(wt, FailConflict, fmt.Errorf("it refuses checkpoint %d with a conflict that re-proving from its size does not resolve: it cosigned another tree of this log: %w", c.TreeSize, err))
		case errors.Is(err, witness.ErrBadProof):
			s.witnessFailed(wt, FailBadProof, fmt.Errorf("it refuses the consistency proof from size %d to %d: it cosigned another tree of this log at size %d: %w", old, c.TreeSize, old, err))
		case errors.Is(err, witness.ErrUnknownOrigin):
			s.witnessFailed(wt, FailUnknownOrigin, fmt.Errorf("%w (add this log's origin and verifier key to the witness's logs.conf)", err))
		case errors.Is(err, witness.ErrUnverified):
			s.witnessFailed(wt, FailUnverified, fmt.Errorf("%w (the witness does not trust this projector's checkpoint key: give it the key of --checkpoint-key's .pub)", err))
		case errors.Is(err, witness.ErrMalformed):
			s.witnessFailed(wt, FailMalformed, err)
		case we != nil:
			s.witnessFailed(wt, FailInternal, err)
		default:
			s.witnessFailed(wt, FailUnreachable, err)
		}
		return nil, false
	}
}

// witnessProof is the consistency proof from size old to size, as
// base64-able hashes: empty from 0 and between equal sizes.
func (s *Service) witnessProof(old, size uint64) ([][]byte, error) {
	if old == 0 || old == size {
		return nil, nil
	}
	s.mu.RLock()
	path, err := s.audit.tree.ConsistencyProof(old, size)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	proof := make([][]byte, len(path))
	for i, h := range path {
		proof[i] = h[:]
	}
	return proof, nil
}

// witnessFailed counts a failed submission, logs it, and raises the alarm
// for the kinds that are evidence of another tree.
func (s *Service) witnessFailed(wt Witness, kind string, err error) {
	w := s.wit
	alarm := kind == FailBadProof || kind == FailConflict || kind == FailSizeBeyond
	w.mu.Lock()
	w.failures[WitnessFailure{wt.Name, kind}]++
	if alarm {
		w.alarms[wt.Name] = fmt.Sprintf("witness %s (%s): %s: %v", wt.Name, wt.URL, kind, err)
	}
	w.mu.Unlock()
	if alarm {
		s.log.Error("WITNESS ALARM: a witness was shown another tree of this log (docs/RUNBOOK.md, Witness alarm)", "witness", wt.Name, "url", wt.URL, "kind", kind, "err", err)
		return
	}
	s.log.Warn("witness did not cosign; trying again at the next checkpoint interval", "witness", wt.Name, "url", wt.URL, "kind", kind, "err", err)
}

// ErrWitnessAlarm is the class of the readiness failure while the witness
// alarm is raised.
var ErrWitnessAlarm = errors.New("witness alarm")

// witnessAlarm returns the alarm, nil when none is raised.
func (s *Service) witnessAlarm() error {
	if s.wit == nil {
		return nil
	}
	s.wit.mu.Lock()
	defer s.wit.mu.Unlock()
	if len(s.wit.alarms) == 0 {
		return nil
	}
	var why []string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range s.wit.alarms {
			if !yield(n) {
				return
			}
		}
	}) {
		why = append(why, s.wit.alarms[name])
	}
	return fmt.Errorf("%w: %s; another tree of this log was shown to a witness: investigate before restarting (docs/RUNBOOK.md, Witness alarm)", ErrWitnessAlarm, strings.Join(why, "; "))
}

// Witnessed is what the configured witnesses say of a checkpoint.
type Witnessed struct {
	// Cosignatures names the configured witnesses whose cosignature on
	// the checkpoint verifies.
	Cosignatures []string `json:"cosignatures"`
	// Witnessed is true when they are at least Quorum.
	Witnessed bool `json:"witnessed"`
	// Quorum is the number of cosignatures wanted; 0 when no witness is
	// configured.
	Quorum int `json:"quorum"`
}

// Witnessed checks the cosignatures on c of the configured witnesses.
func (s *Service) Witnessed(c audit.Checkpoint) Witnessed {
	out := Witnessed{Cosignatures: []string{}}
	if s.wit == nil || c.Note == "" {
		return out
	}
	out.Quorum = s.wit.quorum
	vkeys := make([]string, len(s.wit.witnesses))
	for i, w := range s.wit.witnesses {
		vkeys[i] = w.VKey
	}
	names, err := witness.Quorum([]byte(c.Note), vkeys, s.wit.quorum)
	if names != nil {
		out.Cosignatures = names
	}
	out.Witnessed = err == nil
	return out
}

// witnessStatus fills the witnessing part of a Status.
func (s *Service) witnessStatus(st *Status) {
	if s.wit == nil {
		return
	}
	if c, ok := s.LatestCheckpoint(); ok {
		wd := s.Witnessed(c)
		st.Witnessed, st.Cosignatures = wd.Witnessed, len(wd.Cosignatures)
	}
	if err := s.witnessAlarm(); err != nil {
		st.WitnessAlarm = err.Error()
	}
	s.wit.mu.Lock()
	st.WitnessFailures = make(map[WitnessFailure]uint64, len(s.wit.failures))
	for k, v := range s.wit.failures {
		st.WitnessFailures[k] = v
	}
	s.wit.mu.Unlock()
	st.Witnesses = make([]string, len(s.wit.witnesses))
	for i, w := range s.wit.witnesses {
		st.Witnesses[i] = w.Name
	}
}
