//go:build !unix

package auth

import "io/fs"

// checkSafe checks nothing where files have no Unix modes and owners.
func checkSafe(path string, st fs.FileInfo) error { return nil }

func ownerOf(st fs.FileInfo) (uid int, ok bool) { return 0, false }
