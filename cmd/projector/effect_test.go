package main

import (
	"testing"

	"github.com/lexledger/lexledger/events"
)

// An amendment not detailed is not shown as a change of the whole act.
func TestEffectOn(t *testing.T) {
	for _, c := range []struct {
		effect events.AmendmentEffect
		p      []string
		want   string
	}{
		{events.Substitution, []string{"art_49"}, "substitution of art_49"},
		{events.Substitution, nil, "substitution of the whole act"},
		{events.Unspecified, nil, "changes not detailed, to provisions not recorded"},
		{events.Unspecified, []string{"art_1"}, "changes not detailed, to art_1"},
	} {
		if got := effectOn(c.effect, c.p); got != c.want {
			t.Errorf("effectOn(%s, %v) = %q, want %q", c.effect, c.p, got, c.want)
		}
	}
}
