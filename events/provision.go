package events

import "strings"

// ValidProvision reports whether eid is an Akoma Ntoso eId of the shape the
// ledger accepts: components joined by "__", each a lower-case element name
// optionally followed by "_" and a number made of letters, digits, '-' and
// '.': art_18, art_347-1, sec_2__subsec_1, chp_1__art_5__para_2.
func ValidProvision(eid string) bool {
	if eid == "" || len(eid) > 200 {
		return false
	}
	for part := range strings.SplitSeq(eid, "__") {
		name, num, hasNum := strings.Cut(part, "_")
		if name == "" {
			return false
		}
		for i := 0; i < len(name); i++ {
			if !isLower(name[i]) {
				return false
			}
		}
		if !hasNum {
			continue
		}
		if num == "" {
			return false
		}
		for i := 0; i < len(num); i++ {
			c := num[i]
			if !isLower(c) && !isDigit(c) && !(c >= 'A' && c <= 'Z') && c != '-' && c != '.' {
				return false
			}
		}
	}
	return true
}

// covers reports whether a provision list covers eid: an empty list is the
// whole act; otherwise eid or one of its ancestors (art_5 for
// art_5__para_2) must be listed.
func covers(list []string, eid string) bool {
	if len(list) == 0 {
		return true
	}
	for _, p := range list {
		if p == eid || strings.HasPrefix(eid, p+"__") {
			return true
		}
	}
	return false
}

// overlaps reports whether two provision lists share any provision, an empty
// list being the whole act.
func overlaps(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, x := range a {
		if covers(b, x) {
			return true
		}
	}
	for _, y := range b {
		if covers(a, y) {
			return true
		}
	}
	return false
}

// Covers reports whether a list of provisions covers eid: an empty list is
// the whole act; otherwise eid or one of its ancestors must be listed.
func Covers(list []string, eid string) bool { return covers(list, eid) }

// Overlaps reports whether two lists of provisions share a provision, an
// empty list being the whole act.
func Overlaps(a, b []string) bool { return overlaps(a, b) }
