package cli

import "strconv"

type integer interface {
	~int | ~int32 | ~int64 | ~uint | ~uint32 | ~uint64
}

// Count returns n and the noun, singular when n is 1 ("1 checkpoint",
// "0 checkpoints"). The plural is the singular with an s, unless given.
func Count[N integer](n N, singular string, plural ...string) string {
	s := strconv.FormatUint(uint64(n), 10)
	if n < 0 {
		s = strconv.FormatInt(int64(n), 10)
	}
	switch {
	case n == 1:
		return s + " " + singular
	case len(plural) > 0:
		return s + " " + plural[0]
	}
	return s + " " + singular + "s"
}
