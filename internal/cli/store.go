package cli

import (
	"flag"
	"log/slog"
	"path/filepath"

	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
)

// StoreMemory is the value of --store that keeps the projection's records
// in memory.
const StoreMemory = "memory"

// StoreFlag is --store: where a projector keeps its projection's records
// (docs/DESIGN.md, Memory at scale), a directory of its own for Pebble
// (pebblestore), or "memory".
type StoreFlag struct{ v *string }

// AddStoreFlag adds --store to fs, with def as its default ($PROJECTOR_STORE
// before it).
func AddStoreFlag(fs *flag.FlagSet, def string) *StoreFlag {
	return &StoreFlag{fs.String("store", EnvOr("PROJECTOR_STORE", def),
		"where the projector keeps every act's records: a directory of its own, where it reopens them on restart and follows the stream from there (memory bounded by a cache), with the Merkle tree's hashes in DIR-tree beside it; or '"+StoreMemory+"' to keep both in memory (they grow with every event; for tests and small ledgers) ($PROJECTOR_STORE)")}
}

// OrIn makes dir the store when the flag was not given: for ledger serve,
// whose projector keeps its store in the data directory.
func (f *StoreFlag) OrIn(dir string) {
	if *f.v == "" {
		*f.v = dir
	}
}

// Open opens the store the flag names, as the projector's Options.Store
// (nil for memory), with the function that closes it, logging a failure;
// call that once the projector has stopped.
func (f *StoreFlag) Open(log *slog.Logger) (projections.Durable, func(), error) {
	if *f.v == StoreMemory || *f.v == "" {
		return nil, func() {}, nil
	}
	s, err := pebblestore.Open(*f.v, pebblestore.Options{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	log.Info("projection store opened", "dir", *f.v, "checkpoint", s.Saved(), "cache_bytes", pebblestore.DefaultCacheSize)
	closeStore := func() {
		if err := s.Close(); err != nil {
			log.Warn("close the projection store", "err", err)
		}
	}
	return s, closeStore, nil
}

// TreeDir is where the projector keeps its Merkle tree's hashes
// (projector.Options.TreeDir): DIR-tree beside the store DIR; "" (memory)
// for a store in memory.
func (f *StoreFlag) TreeDir() string {
	if *f.v == StoreMemory || *f.v == "" {
		return ""
	}
	d := filepath.Clean(*f.v)
	return filepath.Join(filepath.Dir(d), filepath.Base(d)+"-tree")
}

// AddModelCacheFlag adds --model-cache to fs: the bound of the projector's
// cache of decoded act models (projector.Options.ModelCache).
func AddModelCacheFlag(fs *flag.FlagSet) *int {
	return fs.Int("model-cache", projections.DefaultModelCache,
		"the acts' models the projector keeps decoded, counted in the events of their acts (about 550 bytes each); the least recently used beyond it are dropped and folded again from their records when asked: a smaller cache saves memory, a larger one folds less")
}
