// Package jsonscan is the small JSON scanner under the decoders' fast
// paths (events.Decode, ledger.DecodeCommands): it reads the usual input
// without reflection and reports anything unusual as not ok, so that the
// caller hands the input to its strict decoder instead. It never decides
// that input is invalid; it only recognises what is plainly valid.
package jsonscan

// Scanner reads Data from I on.
type Scanner struct {
	Data []byte
	I    int
}

// Space skips JSON white space.
func (s *Scanner) Space() {
	for s.I < len(s.Data) {
		switch s.Data[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// Next skips spaces and reports whether the next byte is c, consuming it.
func (s *Scanner) Next(c byte) bool {
	s.Space()
	if s.I < len(s.Data) && s.Data[s.I] == c {
		s.I++
		return true
	}
	return false
}

// Str reads a string without escapes or control characters, and returns
// its bytes within Data.
func (s *Scanner) Str() ([]byte, bool) {
	if !s.Next('"') {
		return nil, false
	}
	start := s.I
	for s.I < len(s.Data) {
		c := s.Data[s.I]
		switch {
		case c == '"':
			str := s.Data[start:s.I]
			s.I++
			return str, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		s.I++
	}
	return nil, false
}

// Uint reads a plain non-negative integer of at most digits digits (at
// most 19): no sign, no leading zero, no fraction or exponent, followed by
// the end, a comma, a closing brace or a space.
func (s *Scanner) Uint(digits int) (uint64, bool) {
	s.Space()
	start := s.I
	var v uint64
	for s.I < len(s.Data) && s.Data[s.I] >= '0' && s.Data[s.I] <= '9' && s.I-start < digits {
		v = v*10 + uint64(s.Data[s.I]-'0')
		s.I++
	}
	if s.I == start || (s.Data[start] == '0' && s.I-start > 1) {
		return 0, false
	}
	if s.I < len(s.Data) {
		switch s.Data[s.I] {
		case ',', '}', ' ', '\t', '\n', '\r':
		default:
			return 0, false // a fraction, an exponent, a longer number
		}
	}
	return v, true
}
