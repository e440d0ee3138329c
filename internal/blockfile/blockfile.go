// Package blockfile reads and rewrites the message blocks of a NATS
// server's file store, as an insider with the data directory would: it is
// the tamper suite's tool (package attack), not part of the ledger.
//
// The format is that of nats-server v2.15 (go.mod), read from its
// filestore.go (writeMsgRecordLocked, rebuildStateFromBufLocked,
// hashKeyForBlock). A stream's messages are in DIR/jetstream/ACCOUNT/
// streams/STREAM/msgs/N.blk, each block a sequence of records, little
// endian:
//
//	total_len(4) seq(8) ts(8) subj_len(2) subj [hdr_len(4) hdr] msg checksum(8)
//
// total_len counts the whole record; its high bit is set when the record
// has headers. The sequence's top bit marks an erased message, the next a
// delete tombstone. The checksum is HighwayHash-64 keyed with
// SHA-256("STREAM-N") over seq and ts as stored, the subject, the headers
// and the message. The server keeps a summary of the stream in
// msgs/index.db, trusted on start while the last block's last checksum
// matches it; Invalidate removes it, so that the server rebuilds its state
// from the blocks, checking every record.
//
// No compression, no encryption: the ledger's streams use neither.
package blockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/minio/highwayhash"
)

const (
	headerSize   = 22 // total_len, seq, ts, subj_len
	checksumSize = 8
	hasHeaders   = 1 << 31 // on total_len
	// Erased marks a message erased in place (seq's top bit).
	Erased = 1 << 63
	// Tombstone marks a record of a deleted message kept in a later block.
	Tombstone = 1 << 62

	blockSuffix = ".blk"
	stateFile   = "index.db" // the server's summary of the stream
)

// Record is one record of a block.
type Record struct {
	Seq     uint64 // the stream sequence, without the flag bits
	Flags   uint64 // Erased, Tombstone, or 0 for a message
	Time    int64  // when stored, in nanoseconds since 1970
	Subject string
	Header  []byte // the NATS headers ("NATS/1.0\r\n..."), nil if none
	Data    []byte
}

// Message reports whether r is a stored message (not erased, not a
// tombstone).
func (r *Record) Message() bool { return r.Flags == 0 && r.Seq != 0 }

// Len is the length of r once encoded.
func (r *Record) Len() int {
	n := headerSize + len(r.Subject) + len(r.Data) + checksumSize
	if len(r.Header) > 0 {
		n += 4 + len(r.Header)
	}
	return n
}

// Block is a block file's records.
type Block struct {
	Stream  string // the stream's name, part of the checksums' key
	Index   uint32 // N of N.blk, part of the checksums' key
	Records []Record
}

// ChecksumError says that a record's checksum does not match its bytes:
// the server truncates the block there when it rebuilds its state, and
// drops the record and every one after it in the block.
type ChecksumError struct {
	Block  uint32
	Offset int
	Seq    uint64
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("block %d: the record of sequence %d at offset %d does not match its checksum", e.Block, e.Seq, e.Offset)
}

// hashKey is the key of the checksums of block index of stream.
func hashKey(stream string, index uint32) []byte {
	k := sha256.Sum256([]byte(stream + "-" + strconv.FormatUint(uint64(index), 10)))
	return k[:]
}

// Checksum returns the checksum of r in block index of stream.
func Checksum(stream string, index uint32, r *Record) [checksumSize]byte {
	h, err := highwayhash.NewDigest64(hashKey(stream, index))
	if err != nil {
		panic(err) // the key is a SHA-256: always 32 bytes
	}
	var st [16]byte
	binary.LittleEndian.PutUint64(st[0:], r.Seq|r.Flags)
	binary.LittleEndian.PutUint64(st[8:], uint64(r.Time))
	h.Write(st[:])
	h.Write([]byte(r.Subject))
	h.Write(r.Header)
	h.Write(r.Data)
	var sum [checksumSize]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// Decode reads the records of block index of stream from buf and checks
// their checksums: a record that does not match is a *ChecksumError,
// returned with the block's records before it.
func Decode(stream string, index uint32, buf []byte) (*Block, error) {
	le := binary.LittleEndian
	b := &Block{Stream: stream, Index: index}
	for off := 0; off < len(buf); {
		if len(buf)-off < headerSize+checksumSize {
			return b, fmt.Errorf("block %d: %d bytes at offset %d are too few for a record", index, len(buf)-off, off)
		}
		tl := le.Uint32(buf[off:])
		withHeaders := tl&hasHeaders != 0
		rl := int(tl &^ hasHeaders)
		seq := le.Uint64(buf[off+4:])
		slen := int(le.Uint16(buf[off+20:]))
		if rl < headerSize+checksumSize+slen || off+rl > len(buf) {
			return b, fmt.Errorf("block %d: the record at offset %d says it is %d bytes long, with a subject of %d, in a block of %d", index, off, rl, slen, len(buf))
		}
		rec := buf[off : off+rl]
		body := rec[headerSize : rl-checksumSize]
		r := Record{Seq: seq &^ (Erased | Tombstone), Flags: seq & (Erased | Tombstone), Time: int64(le.Uint64(rec[12:])),
			Subject: string(body[:slen])}
		body = body[slen:]
		if withHeaders {
			if len(body) < 4 || int(le.Uint32(body)) > len(body)-4 {
				return b, fmt.Errorf("block %d: the headers of the record at offset %d overrun it", index, off)
			}
			hl := int(le.Uint32(body))
			r.Header, body = bytes.Clone(body[4:4+hl]), body[4+hl:]
		}
		r.Data = bytes.Clone(body)
		if sum := Checksum(stream, index, &r); !bytes.Equal(sum[:], rec[rl-checksumSize:]) {
			return b, &ChecksumError{Block: index, Offset: off, Seq: r.Seq}
		}
		b.Records = append(b.Records, r)
		off += rl
	}
	return b, nil
}

// Encode returns the block's bytes, every checksum computed afresh.
func (b *Block) Encode() []byte {
	le := binary.LittleEndian
	var out []byte
	for i := range b.Records {
		r := &b.Records[i]
		tl := uint32(r.Len())
		if len(r.Header) > 0 {
			tl |= hasHeaders
		}
		out = le.AppendUint32(out, tl)
		out = le.AppendUint64(out, r.Seq|r.Flags)
		out = le.AppendUint64(out, uint64(r.Time))
		out = le.AppendUint16(out, uint16(len(r.Subject)))
		out = append(out, r.Subject...)
		if len(r.Header) > 0 {
			out = le.AppendUint32(out, uint32(len(r.Header)))
			out = append(out, r.Header...)
		}
		out = append(out, r.Data...)
		sum := Checksum(b.Stream, b.Index, r)
		out = append(out, sum[:]...)
	}
	return out
}

// Stream is a stream's directory in a server's store, with the server
// stopped.
type Stream struct {
	Name string
	Dir  string // .../jetstream/ACCOUNT/streams/NAME
}

// Find returns the stream called name in the store directory dir (the
// server's store_dir, which holds jetstream/), in whatever account it is.
func Find(dir, name string) (Stream, error) {
	found, err := filepath.Glob(filepath.Join(dir, "jetstream", "*", "streams", name))
	if err != nil {
		return Stream{}, err
	}
	if len(found) != 1 {
		return Stream{}, fmt.Errorf("stream %s: %d directories in %s/jetstream/*/streams, want 1: %q", name, len(found), dir, found)
	}
	return Stream{Name: name, Dir: found[0]}, nil
}

func (s Stream) msgs() string { return filepath.Join(s.Dir, "msgs") }

// Blocks returns the indexes of the stream's blocks, in order.
func (s Stream) Blocks() ([]uint32, error) {
	entries, err := os.ReadDir(s.msgs())
	if err != nil {
		return nil, err
	}
	var out []uint32
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), blockSuffix)
		if !ok {
			continue
		}
		i, err := strconv.ParseUint(n, 10, 32)
		if err != nil {
			continue
		}
		out = append(out, uint32(i))
	}
	slices.Sort(out)
	return out, nil
}

// BlockPath is the file of block index.
func (s Stream) BlockPath(index uint32) string {
	return filepath.Join(s.msgs(), strconv.FormatUint(uint64(index), 10)+blockSuffix)
}

// Read reads and checks block index.
func (s Stream) Read(index uint32) (*Block, error) {
	buf, err := os.ReadFile(s.BlockPath(index))
	if err != nil {
		return nil, err
	}
	return Decode(s.Name, index, buf)
}

// Write replaces block b's file with its encoding, then invalidates the
// server's summary of the stream.
func (s Stream) Write(b *Block) error {
	path := s.BlockPath(b.Index)
	tmp := path + ".rewrite"
	if err := os.WriteFile(tmp, b.Encode(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return s.Invalidate()
}

// Invalidate removes the server's summary of the stream (msgs/index.db,
// and the per-block index files of servers before 2.10), so that it
// rebuilds the stream's state from the blocks when it starts.
func (s Stream) Invalidate() error {
	old, _ := filepath.Glob(filepath.Join(s.msgs(), "*.idx"))
	for _, p := range append(old, filepath.Join(s.msgs(), stateFile)) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Edit is called on each stored message of a stream by Rewrite; it may
// change the record in place, and returns false to remove it.
type Edit func(r *Record) (keep bool, err error)

// Rewrite passes every stored message of the stream to edit, in order,
// and writes back each block in which edit changed or removed one, with
// its checksums computed afresh. It returns how many messages were
// changed or removed. Erased records and tombstones are kept as they are.
func (s Stream) Rewrite(edit Edit) (int, error) {
	blocks, err := s.Blocks()
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, i := range blocks {
		b, err := s.Read(i)
		if err != nil {
			return changed, err
		}
		n := 0 // changed or removed in this block
		kept := make([]Record, 0, len(b.Records))
		for _, r := range b.Records {
			if r.Message() {
				was := r
				was.Header, was.Data = bytes.Clone(r.Header), bytes.Clone(r.Data)
				keep, err := edit(&r)
				if err != nil {
					return changed, fmt.Errorf("sequence %d: %w", was.Seq, err)
				}
				if !keep {
					n++
					continue
				}
				if !equal(&was, &r) {
					n++
				}
			}
			kept = append(kept, r)
		}
		if n == 0 {
			continue
		}
		b.Records = kept
		if len(kept) == 0 {
			// An empty block file is removed by the server on start; the
			// insider removes it at once.
			if err := os.Remove(s.BlockPath(i)); err != nil {
				return changed, err
			}
			if err := s.Invalidate(); err != nil {
				return changed, err
			}
			changed += n
			continue
		}
		if err := s.Write(b); err != nil {
			return changed, err
		}
		changed += n
	}
	return changed, nil
}

func equal(a, b *Record) bool {
	return a.Seq == b.Seq && a.Flags == b.Flags && a.Time == b.Time && a.Subject == b.Subject &&
		bytes.Equal(a.Header, b.Header) && bytes.Equal(a.Data, b.Data)
}
