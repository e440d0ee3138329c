package natsjs_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// A part of the stream delivers the events of its acts only, with their
// stream sequences, and its last sequence is its last event's, not the
// stream's; a part with no event is at 0.
func TestPartFollowsItsSubjectsOnly(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	rs := mustAppend(t, l,
		created("/akn/kz/act/2009-12-04/1", "kz 1", "law"),
		created("/akn/ru/act/2009-12-04/1", "ru 1", "law"),
		created("/akn/kz/act/code/2009-12-04/2", "kz code", "code"),
		created("/akn/uz/act/2009-12-04/1", "uz 1", "law"),
	)
	ctx := testContext(t)
	for _, tc := range []struct {
		patterns []string
		want     []uint64 // stream sequences delivered
	}{
		{nil, []uint64{rs[0].Seq, rs[1].Seq, rs[2].Seq, rs[3].Seq}},
		{[]string{"kz.>"}, []uint64{rs[0].Seq, rs[2].Seq}},
		{[]string{"kz.act.code.>", "ru.>"}, []uint64{rs[1].Seq, rs[2].Seq}},
		{[]string{"by.>"}, nil},
	} {
		sc, err := eventlog.ParseScope(tc.patterns...)
		if err != nil {
			t.Fatal(err)
		}
		part := env.Store.Part(sc)
		last, err := part.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var wantLast uint64
		if len(tc.want) > 0 {
			wantLast = tc.want[len(tc.want)-1]
		}
		if last != wantLast {
			t.Errorf("part %s: last sequence %d, want %d", sc, last, wantLast)
		}
		if wantLast == 0 {
			continue
		}
		var got []uint64
		var acts []events.ActID
		fctx, cancel := context.WithCancel(ctx)
		for st, err := range part.Follow(fctx, 1) {
			if err != nil {
				t.Fatal(err)
			}
			got, acts = append(got, st.Seq), append(acts, st.Event.Act)
			if st.Seq >= last {
				break
			}
		}
		cancel()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("part %s delivered sequences %v (%v), want %v", sc, got, acts, tc.want)
		}
		for _, a := range acts {
			if !sc.Covers(a) {
				t.Errorf("part %s delivered an event of %s", sc, a)
			}
		}
	}
}
