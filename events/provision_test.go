package events_test

import (
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

func TestValidProvision(t *testing.T) {
	for _, c := range []struct {
		eid string
		ok  bool
	}{
		{"art_18", true},
		{"art_347-1", true},
		{"sec_2__subsec_1", true},
		{"chp_1__art_5__para_2", true},
		{"art", true},
		{"preamble", true},
		{"art_5__para_2__point_a", true},
		{"art_1.2", true},
		{"art_1bis", true},
		{"art_IV", true},
		{"part_A__chp_1", true},
		{strings.Repeat("a", 200), true},

		{"", false},
		{strings.Repeat("a", 201), false},
		{"Art_18", false},
		{"art 18", false},
		{"art_", false},
		{"_18", false},
		{"18", false},
		{"art__18", false},
		{"art_18__", false},
		{"__art_18", false},
		{"art_18___para_1", false},
		{"art_1_2", false},
		{"art_1/2", false},
		{"art_1*", false},
		{"art_1>", false},
		{"art-1", false},
		{"art1", false},
		{"art_1 ", false},
		{"art_1\n", false},
		{"art_ü", false},
		{"статья_1", false},
		{"art_18__Para_1", false},
		{"art_18__para", true},
	} {
		if got := events.ValidProvision(c.eid); got != c.ok {
			t.Errorf("ValidProvision(%q) = %v, want %v", c.eid, got, c.ok)
		}
	}
}
