package natsjs_test

import (
	"context"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// EachState reads back every state written, by act, once each (the latest
// value); a deleted state is gone, and an empty bucket reads as empty.
func TestEachState(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := context.Background()
	v, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	read := func() map[events.ActID]string {
		t.Helper()
		got := map[events.ActID]string{}
		if err := v.EachState(ctx, func(act events.ActID, data []byte) {
			if _, twice := got[act]; twice {
				t.Errorf("EachState gave %s twice", act)
			}
			got[act] = string(data)
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := read(); len(got) != 0 {
		t.Fatalf("an empty bucket reads as %v", got)
	}

	a, b := events.ActID("/akn/kz/act/2009-12-04/216"), events.ActID("/akn/kz/act/code/1997-07-16/167")
	if _, err := v.PutStates(ctx, map[events.ActID][]byte{a: []byte(`1`), b: []byte(`2`)}); err != nil {
		t.Fatal(err)
	}
	if err := v.PutState(ctx, a, []byte(`3`)); err != nil {
		t.Fatal(err)
	}
	if got := read(); len(got) != 2 || got[a] != "3" || got[b] != "2" {
		t.Errorf("EachState reads %v, want %s at 3 and %s at 2", got, a, b)
	}
	if err := v.DeleteStates(ctx, []events.ActID{a}); err != nil {
		t.Fatal(err)
	}
	if got := read(); len(got) != 1 || got[b] != "2" {
		t.Errorf("after deleting %s, EachState reads %v, want only %s at 2", a, got, b)
	}
}
