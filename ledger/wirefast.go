package ledger

import (
	"unicode/utf8"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/jsonscan"
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
	s := scanner{jsonscan.Scanner{Data: data}}
	if s.Next('[') {
		batch = true
		cmds = make([]Command, 0, 16)
		for {
			c, ok := s.command()
			if !ok {
				return nil, false, false
			}
			cmds = append(cmds, c)
			if s.Next(',') {
				continue
			}
			if !s.Next(']') {
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
	s.Space()
	if s.I != len(data) {
		return nil, false, false
	}
	return cmds, batch, true
}

type scanner struct{ jsonscan.Scanner }

// key reads `"name":` for a name without escapes.
func (s *scanner) key() (string, bool) {
	k, ok := s.Str()
	return string(k), ok && s.Next(':')
}

func (s *scanner) command() (c Command, ok bool) {
	if !s.Next('{') {
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
			e, n, ok := events.DecodeUsual(s.Data[s.I:])
			if !ok || n > events.MaxEventBytes {
				return c, false
			}
			c.Event, s.I, gotEvent = e, s.I+n, true
		case k == "expected_version" && !gotVersion:
			v, ok := s.Uint(18)
			if !ok {
				return c, false
			}
			c.ExpectedVersion, gotVersion = &v, true
		default:
			return c, false
		}
		if s.Next(',') {
			continue
		}
		return c, gotEvent && s.Next('}')
	}
}
