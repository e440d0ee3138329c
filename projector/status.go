package projector

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lexledger/lexledger/eventlog"
)

// runStatus is what Status reports beyond the projection itself; guarded
// by Service.mu.
type runStatus struct {
	appliedTime time.Time // the store's time of the last event applied
	runStart    time.Time // when Run began following
	replayFrom  uint64    // the first sequence Run replayed
	replayTo    uint64    // the stream's last sequence when Run began
}

// Status is where a projector stands, for metrics and readiness.
type Status struct {
	// ModelsHeld is the events of the acts whose models the projection
	// holds decoded; ModelsDropped and ModelFolds count the models dropped
	// from its cache and folded again from records (projections.SetModelCache).
	ModelsHeld                int
	ModelsDropped, ModelFolds uint64
	// FrozenBytes is the bytes of the dropped models kept encoded, and
	// ModelThaws counts those decoded instead of folded again
	// (projections.SetFrozenModels).
	FrozenBytes int
	ModelThaws  uint64
	// RecordsKept and RecordRefolds count the record events that left
	// their act's model as it was and those that folded the act again
	// (projections.Projection.RecordFoldStats).
	RecordsKept, RecordRefolds uint64
	// AppliedSeq is the last stream sequence applied.
	AppliedSeq uint64
	// AppliedTime is when the stream stored that event; zero until an
	// event was applied since the projector started (after a restored
	// snapshot, for instance).
	AppliedTime time.Time
	// Ready is true once the projector has caught up with the stream.
	Ready bool
	// Running is true once Run has begun following the stream.
	Running bool
	// Since is when Run began following.
	Since time.Time
	// ReplayFrom and ReplayTo bound the catch-up replay of the current Run:
	// from the first sequence it read to the stream's last sequence when it
	// began.
	ReplayFrom, ReplayTo uint64
	// Defects counts the messages met that are not valid events of their
	// acts, by reason (eventlog.Reasons); none is absent.
	Defects map[eventlog.Reason]int
	// CheckpointRefusals counts the signer's refusals to sign a tree that
	// does not extend its last checkpoint (signer.go).
	CheckpointRefusals uint64
	// CheckpointConflict says why the tree does not extend the last
	// checkpoint stored, or why the signer refused; empty when it does.
	CheckpointConflict string
	// Witnesses names the configured witnesses (witnessing.go); the
	// fields below are zero without them. Witnessed is true when a
	// quorum of them cosigned the latest checkpoint, Cosignatures how
	// many did. WitnessAlarm says why the alarm is raised; empty when it
	// is not. WitnessFailures counts the failed submissions.
	Witnesses       []string
	Witnessed       bool
	Cosignatures    int
	WitnessAlarm    string
	WitnessFailures map[WitnessFailure]uint64
	// FeedFailures counts the feed's failed state writes (one per act)
	// and change notices, by kind (FeedFailureKinds); FeedWaiting is the
	// acts whose latest state is not in the state bucket because its
	// write failed: waiting to be written again, or, after a permanent
	// failure, until they change (feed.go).
	FeedFailures map[string]uint64
	FeedWaiting  int
}

// DefectCount is the number of defects met, every reason.
func (st Status) DefectCount() int {
	n := 0
	for _, c := range st.Defects {
		n += c
	}
	return n
}

// ReplayProgress is the share of the catch-up replay done, from 0 to 1;
// 1 when there was nothing to replay.
func (st Status) ReplayProgress() float64 {
	if !st.Running || st.ReplayTo < st.ReplayFrom {
		return boolFloat(st.Running)
	}
	done := float64(0)
	if st.AppliedSeq+1 > st.ReplayFrom {
		done = float64(min(st.AppliedSeq, st.ReplayTo) + 1 - st.ReplayFrom)
	}
	return done / float64(st.ReplayTo+1-st.ReplayFrom)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Status returns where the projector stands now.
func (s *Service) Status() Status {
	st := s.status0()
	s.witnessStatus(&st)
	return st
}

func (s *Service) status0() Status {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.status
	st := Status{AppliedSeq: s.proj.LastSeq(), AppliedTime: r.appliedTime, Ready: s.ready, Running: !r.runStart.IsZero(),
		Since: r.runStart, ReplayFrom: r.replayFrom, ReplayTo: r.replayTo, CheckpointRefusals: s.audit.refusals}
	if len(s.fd.failures) > 0 {
		st.FeedFailures = make(map[string]uint64, len(s.fd.failures))
		for k, n := range s.fd.failures {
			st.FeedFailures[k] = n
		}
	}
	st.FeedWaiting = len(s.fd.waiting)
	st.ModelsHeld, st.ModelsDropped, st.ModelFolds = s.proj.ModelCacheStats()
	st.FrozenBytes, st.ModelThaws = s.proj.FrozenModelStats()
	st.RecordsKept, st.RecordRefolds = s.proj.RecordFoldStats()
	if s.audit.conflict != nil {
		st.CheckpointConflict = s.audit.conflict.Error()
	}
	if s.proj.DefectCount() > 0 {
		st.Defects = map[eventlog.Reason]int{}
		for _, d := range s.proj.Defects() {
			st.Defects[d.Defect.Reason]++
		}
	}
	return st
}

// Defects returns the defects met so far, in stream order: messages on the
// events subjects that are not valid events of their acts, left out of
// every view.
func (s *Service) Defects() []eventlog.Entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.proj.Defects()
}

// DefectNote names the defects met, for a readiness check that holds: the
// views are complete for every valid event, and these messages are left
// out of them. Empty when there is none.
func (s *Service) DefectNote() string {
	ds := s.Defects()
	if len(ds) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d defect(s) in the stream, left out of the views (docs/RUNBOOK.md, Defects):", len(ds))
	for i, d := range ds {
		if i == defectsNamed {
			fmt.Fprintf(&b, " and %d more", len(ds)-i)
			break
		}
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " sequence %d %s", d.Seq, d.Defect.Reason)
		if d.Defect.Act != "" {
			fmt.Fprintf(&b, " (%s)", d.Defect.Act)
		}
	}
	return b.String()
}

// defectsNamed is how many defects DefectNote names one by one.
const defectsNamed = 10

func (s *Service) startRun(from, total uint64) {
	s.mu.Lock()
	s.status.runStart = time.Now()
	s.status.replayFrom, s.status.replayTo = from, total
	s.mu.Unlock()
}

// CaughtUp reports whether the projection has applied every event that the
// stream held when it was called, waiting for that until ctx ends: nil when
// it has, else an error that says how far behind it is.
func (s *Service) CaughtUp(ctx context.Context) error {
	last, err := s.src.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("cannot read the stream's last sequence: %w", err)
	}
	applied, err := s.WaitFor(ctx, last)
	if err != nil {
		return fmt.Errorf("the projection has applied sequence %d of the stream's %d (%d behind): it is catching up", applied, last, last-applied)
	}
	return nil
}
