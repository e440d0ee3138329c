package events

import (
	"strings"
	"unicode/utf8"
)

// ActID identifies a legal act (an Akoma Ntoso work) with the shape of an
// Akoma Ntoso work URI:
//
//	/akn/{country}/{type}[/{subtype}]/{date}/{number}
//
// for example /akn/kz/act/2009-12-04/216 or /akn/kz/act/decree/2010-08-17/1.
// Every component is drawn from a strict character set (lower-case ASCII
// letters, digits, '-' and '_') so that the identifier maps one to one onto
// NATS subject tokens; see Tokens and ActIDFromTokens.
//
//	country  two letters (ISO 3166-1), optionally '-' and a subdivision: kz, za-cpt
//	type     an Akoma Ntoso document type: act, bill, doc, judgment, statement
//	subtype  optional, starts with a letter: decree, code, resolution, treaty ...
//	date     YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date
//	number   1 to 64 of [a-z0-9_-], starting with a letter or digit
type ActID string

// DocTypes are the Akoma Ntoso document types accepted in an ActID.
var DocTypes = []string{"act", "bill", "doc", "judgment", "statement"}

const maxNumberLen = 64

// ParseActID validates s and returns it as an ActID. The error says which
// component is wrong and shows the expected shape.
func ParseActID(s string) (ActID, error) {
	bad := func(why string) error {
		return Errorf(CodeInvalid, "act identifier %q is not valid: %s; write it as /akn/{country}/{type}[/{subtype}]/{date}/{number}, for example /akn/kz/act/2009-12-04/216", clip(s), why)
	}
	if s == "" {
		return "", bad("it is empty")
	}
	if !strings.HasPrefix(s, "/akn/") {
		return "", bad("it must start with /akn/")
	}
	var buf [5]string
	parts, ok := splitTokens(s[len("/akn/"):], &buf)
	if !ok {
		return "", bad("it must have 4 or 5 components after /akn/")
	}
	if err := checkCountry(parts[0]); err != "" {
		return "", bad(err)
	}
	if !contains(DocTypes, parts[1]) {
		return "", bad("the type " + quote(parts[1]) + " is not one of " + strings.Join(DocTypes, ", "))
	}
	rest := parts[2:]
	if len(parts) == 5 {
		if !isToken(parts[2], 32) || !isLower(parts[2][0]) {
			return "", bad("the subtype " + quote(parts[2]) + " must be 1 to 32 of a-z, 0-9, '-' or '_', starting with a letter")
		}
		rest = parts[3:]
	}
	if _, err := ParseDate(rest[0]); err != nil {
		return "", bad("the date " + quote(rest[0]) + " is not a calendar date as YYYY, YYYY-MM or YYYY-MM-DD")
	}
	if !isToken(rest[1], maxNumberLen) {
		return "", bad("the number " + quote(rest[1]) + " must be 1 to 64 of a-z, 0-9, '-' or '_'")
	}
	return ActID(s), nil
}

// splitTokens splits s at '/' into buf, without allocating; ok is false
// unless there are 4 or 5 components.
func splitTokens(s string, buf *[5]string) (parts []string, ok bool) {
	n := 0
	for {
		i := strings.IndexByte(s, '/')
		if n == len(buf) {
			return nil, false
		}
		if i < 0 {
			buf[n] = s
			n++
			break
		}
		buf[n], s = s[:i], s[i+1:]
		n++
	}
	return buf[:n], n >= 4
}

// String returns the identifier.
func (a ActID) String() string { return string(a) }

// Tokens returns the identifier's components after /akn/, in order: country,
// type, [subtype,] date, number. A valid ActID's tokens are valid NATS subject
// tokens, and ActIDFromTokens inverts Tokens.
func (a ActID) Tokens() []string {
	return strings.Split(strings.TrimPrefix(string(a), "/akn/"), "/")
}

// Country returns the act's jurisdiction: the first component.
func (a ActID) Country() string { return a.Tokens()[0] }

// ActIDFromTokens is the inverse of Tokens; it validates the result.
func ActIDFromTokens(tokens []string) (ActID, error) {
	return ParseActID("/akn/" + strings.Join(tokens, "/"))
}

// UnmarshalText validates while decoding, so that no invalid ActID is ever
// built from JSON.
func (a *ActID) UnmarshalText(b []byte) error {
	id, err := ParseActID(string(b))
	if err != nil {
		return err
	}
	*a = id
	return nil
}

func checkCountry(c string) string {
	head, sub, hasSub := strings.Cut(c, "-")
	if len(head) != 2 || !isLower(head[0]) || !isLower(head[1]) {
		return "the country " + quote(c) + " must be two lower-case letters (ISO 3166-1), optionally followed by -subdivision"
	}
	if hasSub && (len(sub) == 0 || len(sub) > 8 || !isAlnum(sub)) {
		return "the subdivision in " + quote(c) + " must be 1 to 8 lower-case letters or digits"
	}
	return ""
}

// isToken reports whether s is 1..max of [a-z0-9_-], starting with [a-z0-9].
func isToken(s string, max int) bool {
	if len(s) == 0 || len(s) > max || s[0] == '-' || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLower(c) && !isDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLower(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// quote quotes a user-supplied string for a message, clipped to a readable
// length.
func quote(s string) string { return "\"" + clip(s) + "\"" }

func clip(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
