package events

import (
	"reflect"
	"strings"
)

// The JSON field names of an event and of its body, read from the struct
// tags so that there is one list.
var (
	eventKeys = jsonKeys(reflect.TypeFor[Event]())
	bodyKeys  = jsonKeys(reflect.TypeFor[Body]())
)

func jsonKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// Kinds of JSON object, for checkKeys.
const (
	objTop   = iota // the event
	objBody         // its body
	objOther        // any other object: texts, correction
)

// checkKeys makes decoding strict where encoding/json is lenient: it
// matches object keys regardless of case and lets a repeated key overwrite
// the first. checkKeys rejects, in the event and its body, any key that is
// not a field name exactly, and in every object a key given twice. It only
// scans; malformed JSON is left for the decoder to report.
func checkKeys(data []byte) error { return checkKeysWith(data, eventKeys, "body", bodyKeys) }

// CheckKeys applies the same strictness to another JSON object, such as a
// command wrapping an event: every key of the top-level object must be one
// of known exactly, and no object may repeat a key.
func CheckKeys(data []byte, known []string) error { return checkKeysWith(data, known, "", nil) }

// checkKeysWith checks the top-level keys against top, those of the object
// under key nested against nestedKeys, and duplicates everywhere.
func checkKeysWith(data []byte, top []string, nested string, nestedKeys []string) error {
	type frame struct {
		kind      int
		obj       bool
		expectKey bool
		seen      []string
	}
	var stack []frame
	next := objTop // the kind of the next object opened
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, frame{kind: next, obj: true, expectKey: true})
			next = objOther
		case '[':
			stack = append(stack, frame{kind: objOther})
			next = objOther
		case '}', ']':
			if len(stack) == 0 {
				return nil
			}
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].obj {
				stack[n-1].expectKey = true
			}
		case '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(data) {
				return nil
			}
			n := len(stack)
			if n == 0 || !stack[n-1].obj || !stack[n-1].expectKey {
				i = j
				next = objOther
				continue
			}
			f := &stack[n-1]
			key := string(data[i+1 : j])
			for _, s := range f.seen {
				if s == key {
					return Errorf(CodeInvalid, "field %q appears twice in one object: send it once", clip(key))
				}
			}
			f.seen = append(f.seen, key)
			f.expectKey = false
			switch f.kind {
			case objTop:
				if err := knownKey(key, top, ""); err != nil {
					return err
				}
			case objBody:
				if err := knownKey(key, nestedKeys, " in "+nested); err != nil {
					return err
				}
			}
			next = objOther
			if f.kind == objTop && nested != "" && key == nested {
				next = objBody
			}
			i = j
		}
	}
	return nil
}

func knownKey(key string, known []string, prefix string) error {
	for _, k := range known {
		if k == key {
			return nil
		}
	}
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return Errorf(CodeInvalid, "unknown field %q%s: field names are lower case, did you mean %q?", clip(key), prefix, k)
		}
	}
	return Errorf(CodeInvalid, "unknown field %q%s: remove it (docs/EVENTS.md lists the fields of each event type)", clip(key), prefix)
}
