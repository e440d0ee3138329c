package ledger

import (
	"unicode/utf8"

	"github.com/lexledger/lexledger/events"
)

// decodeCommandsFast is DecodeCommands for the usual input, without
// reflection: commands of the two known keys, each once, with usual events
// (events.DecodeUsual) and plain version numbers. On anything else it
// gives up (ok false) and DecodeCommands decodes strictly, so that every
// error, and every unusual input, gets the strict decoder's answer.
func decodeCommandsFast(data []byte) (cmds []Command, batch, ok bool) {
	if !utf8.Valid(data) {
		return nil, false, false
	}
	s := scanner{data: data}
	if s.next('[') {
		batch = true
		cmds = make([]Command, 0, 16)
		for {
			c, ok := s.command()
			if !ok {
				return nil, false, false
			}
			cmds = append(cmds, c)
			if s.next(',') {
				continue
			}
			if !s.next(']') {
				return nil, false, false
			}
			break
		}
	} else {
		c, ok := s.command()
		if !ok {
			return nil, false, false
		}
		cmds = []Command{c}
	}
	s.space()
	if s.i != len(data) {
		return nil, false, false
	}
	return cmds, batch, true
}

type scanner struct {
	data []byte
	i    int
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads `"name":` for a name without escapes.
func (s *scanner) key() (string, bool) {
	if !s.next('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.data) && s.data[s.i] != '"' {
		if s.data[s.i] == '\\' {
			return "", false
		}
		s.i++
	}
	if s.i >= len(s.data) {
		return "", false
	}
	k := string(s.data[start:s.i])
	s.i++
	return k, s.next(':')
}

func (s *scanner) command() (c Command, ok bool) {
	if !s.next('{') {
		return c, false
	}
	var gotEvent, gotVersion bool
	for {
		k, ok := s.key()
		if !ok {
			return c, false
		}
		switch {
		case k == "event" && !gotEvent:
			e, n, ok := events.DecodeUsual(s.data[s.i:])
			if !ok || n > events.MaxEventBytes {
				return c, false
			}
			c.Event, s.i, gotEvent = e, s.i+n, true
		case k == "expected_version" && !gotVersion:
			v, ok := s.uint()
			if !ok {
				return c, false
			}
			c.ExpectedVersion, gotVersion = &v, true
		default:
			return c, false
		}
		if s.next(',') {
			continue
		}
		return c, gotEvent && s.next('}')
	}
}

// uint reads a plain non-negative integer that fits in 18 digits.
func (s *scanner) uint() (uint64, bool) {
	s.space()
	start := s.i
	var v uint64
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' && s.i-start < 18 {
		v = v*10 + uint64(s.data[s.i]-'0')
		s.i++
	}
	if s.i == start || (s.data[start] == '0' && s.i-start > 1) {
		return 0, false
	}
	if s.i < len(s.data) {
		switch s.data[s.i] {
		case ',', '}', ' ', '\t', '\n', '\r':
		default:
			return 0, false
		}
	}
	return v, true
}
