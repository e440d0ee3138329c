package merkle

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// ErrShortStore: a store holds fewer hashes than the tree it is opened for
// needs (it was written behind the caller's record, or cut): the tree must
// be built again from its leaves.
var ErrShortStore = errors.New("merkle: the store holds fewer hashes than the tree")

// FileStore is a Store on disk: one file a level (level-00, level-01, …)
// of 32-byte hashes in order, written in blocks of fileFlushAt bytes and
// read back by position. Its memory is a write buffer a level and the
// levels from fileCacheFrom up (a hash every 1,024 leaves and fewer), so a
// tree over it takes a few kilobytes of memory at any size; a read of a
// lower level costs a read of the file (from the page cache, which the
// kernel may give back, not the process's own memory).
//
// What was appended reaches the files at Flush, Sync, Close, or once a
// level's buffer fills. A crash may leave the files behind what the
// caller recorded, or ahead of it: OpenFileStore cuts them to a size, and
// refuses with ErrShortStore when they are behind it.
type FileStore struct {
	mu      sync.RWMutex
	dir     string
	files   []*os.File
	written []uint64 // hashes written to each level's file
	pending [][]byte // hashes appended but not yet written
	cached  [][]Hash // levels fileCacheFrom and up, whole
}

const (
	// fileCacheFrom is the lowest level kept in memory whole.
	fileCacheFrom = 10
	// fileFlushAt is how many bytes of a level are buffered before they
	// are written.
	fileFlushAt = 64 << 10
	hashLen     = len(Hash{})
)

// OpenFileStore opens the store in dir, made if missing, for the tree of
// the first size leaves: each level's file is cut to the hashes that tree
// has (size>>k at level k). A file with fewer fails with ErrShortStore; a
// new store is opened with size 0.
func OpenFileStore(dir string, size uint64) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("merkle: open the tree's store: %w", err)
	}
	s := &FileStore{dir: dir}
	ok := false
	defer func() {
		if !ok {
			s.closeFiles()
		}
	}()
	for k := 0; k < 64; k++ {
		name := s.levelPath(k)
		want := size >> k
		if want == 0 {
			// Levels the tree does not reach hold nothing.
			if err := os.Truncate(name, 0); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("merkle: open the tree's store: %w", err)
			}
			continue
		}
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("merkle: open the tree's store: %w", err)
		}
		s.files = append(s.files, f)
		fi, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("merkle: open the tree's store: %w", err)
		}
		if have := uint64(fi.Size()) / uint64(hashLen); have < want {
			return nil, fmt.Errorf("%w: %s holds %d hashes, and a tree of %d leaves has %d at level %d", ErrShortStore, name, have, size, want, k)
		}
		if err := f.Truncate(int64(want) * int64(hashLen)); err != nil {
			return nil, fmt.Errorf("merkle: open the tree's store: %w", err)
		}
		s.written = append(s.written, want)
		s.pending = append(s.pending, nil)
		if k >= fileCacheFrom {
			level, err := readLevel(f, want)
			if err != nil {
				return nil, fmt.Errorf("merkle: read %s: %w", name, err)
			}
			s.cacheLevel(k, level)
		}
	}
	ok = true
	return s, nil
}

func (s *FileStore) levelPath(k int) string {
	return filepath.Join(s.dir, fmt.Sprintf("level-%02d", k))
}

func readLevel(f *os.File, n uint64) ([]Hash, error) {
	b := make([]byte, n*uint64(hashLen))
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	level := make([]Hash, n)
	for i := range level {
		level[i] = Hash(b[i*hashLen:])
	}
	return level, nil
}

func (s *FileStore) cacheLevel(k int, level []Hash) {
	for len(s.cached) <= k-fileCacheFrom {
		s.cached = append(s.cached, nil)
	}
	s.cached[k-fileCacheFrom] = level
}

// Append implements Store.
func (s *FileStore) Append(k int, h Hash) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k > len(s.files) {
		return fmt.Errorf("merkle: append to level %d of a store of %d levels", k, len(s.files))
	}
	if k == len(s.files) {
		f, err := os.OpenFile(s.levelPath(k), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("merkle: %w", err)
		}
		s.files = append(s.files, f)
		s.written = append(s.written, 0)
		s.pending = append(s.pending, nil)
	}
	s.pending[k] = append(s.pending[k], h[:]...)
	if k >= fileCacheFrom {
		if k-fileCacheFrom >= len(s.cached) {
			s.cacheLevel(k, nil)
		}
		s.cached[k-fileCacheFrom] = append(s.cached[k-fileCacheFrom], h)
	}
	if len(s.pending[k]) >= fileFlushAt {
		return s.write(k)
	}
	return nil
}

// write writes level k's buffer to its file. s.mu is held for writing.
func (s *FileStore) write(k int) error {
	p := s.pending[k]
	if len(p) == 0 {
		return nil
	}
	if _, err := s.files[k].WriteAt(p, int64(s.written[k])*int64(hashLen)); err != nil {
		return fmt.Errorf("merkle: write %s: %w", s.files[k].Name(), err)
	}
	s.written[k] += uint64(len(p) / hashLen)
	s.pending[k] = p[:0]
	return nil
}

// Get implements Store.
func (s *FileStore) Get(k int, i uint64) (Hash, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k >= len(s.files) {
		return Hash{}, fmt.Errorf("%w: hash %d of level %d, which holds none", ErrOutOfRange, i, k)
	}
	if k >= fileCacheFrom {
		level := s.cached[k-fileCacheFrom]
		if i >= uint64(len(level)) {
			return Hash{}, fmt.Errorf("%w: hash %d of level %d, which holds %d", ErrOutOfRange, i, k, len(level))
		}
		return level[i], nil
	}
	if w := s.written[k]; i >= w {
		p := s.pending[k]
		j := (i - w) * uint64(hashLen)
		if j >= uint64(len(p)) {
			return Hash{}, fmt.Errorf("%w: hash %d of level %d, which holds %d", ErrOutOfRange, i, k, w+uint64(len(p)/hashLen))
		}
		return Hash(p[j:]), nil
	}
	var h Hash
	if _, err := s.files[k].ReadAt(h[:], int64(i)*int64(hashLen)); err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: %s ends before hash %d", ErrShortStore, s.files[k].Name(), i)
		}
		return Hash{}, fmt.Errorf("merkle: read %s: %w", s.files[k].Name(), err)
	}
	return h, nil
}

// Flush writes every level's buffer to its file.
func (s *FileStore) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flush()
}

func (s *FileStore) flush() error {
	for k := range s.files {
		if err := s.write(k); err != nil {
			return err
		}
	}
	return nil
}

// Sync is Flush, then the files' contents made durable (fsync).
func (s *FileStore) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flush(); err != nil {
		return err
	}
	for _, f := range s.files {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("merkle: sync %s: %w", f.Name(), err)
		}
	}
	return nil
}

// Close flushes the store and closes its files.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.flush()
	return errors.Join(err, s.closeFiles())
}

func (s *FileStore) closeFiles() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	s.files = nil
	return errors.Join(errs...)
}
