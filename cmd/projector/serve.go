package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/internal/rungroup"
	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/web"
	"github.com/nats-io/nats.go"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("serve", "projector serve --nats-url URL [flags]", stderr)
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", "nats://127.0.0.1:4222"), "the NATS server or cluster of the ledger (comma-separated URLs) ($LEDGER_NATS_URL)")
	auth := cli.AddNATSAuthAs(fs, natsauth.RoleProjector)
	httpAddr := fs.String("http", cli.EnvOr("PROJECTOR_HTTP", "127.0.0.1:8081"), "address of the query API ($PROJECTOR_HTTP)")
	stream := fs.String("stream", natsjs.DefaultStream, "the ledger's stream")
	replicas := fs.Int("replicas", 1, "replicas of the projector's buckets when they are created")
	feed := fs.Bool("feed", true, "publish state changes and day notices")
	keyFile := fs.String("checkpoint-key", "", "sign checkpoints of the stream's Merkle tree with the key in this file (a note signer key, or the nkey seed of an older ledger; created if missing); none: sign no checkpoints")
	origin := fs.String("checkpoint-origin", cli.EnvOr("LEDGER_CHECKPOINT_ORIGIN", ""), "the origin line of the checkpoint notes, naming this ledger, and so the name of a new key ($LEDGER_CHECKPOINT_ORIGIN; default: the key's name, or "+audit.DefaultOrigin+")")
	interval := fs.Duration("checkpoint-interval", time.Minute, "how often to sign a checkpoint when the stream grew")
	logFormat := fs.String("log", "text", "log format: text or json")
	watchEvery := fs.Duration("watch-interval", natsjs.DefaultWatchInterval, "how often to check that no stream the projector depends on was changed so that messages can be lost or admitted, or deleted (JetStream's advisories of its own account's streams are also heard, when permitted)")
	security := cli.AddServeFlags(fs)       // --auth, --tls-cert, --tls-key
	witnessFlags := cli.AddWitnessFlags(fs) // --witness, --witness-quorum
	scopeFl := addScopeFlags(fs)            // --jurisdiction, --subjects
	storeFl := cli.AddStoreFlag(fs, cli.StoreMemory)
	modelCache := cli.AddModelCacheFlag(fs)
	memLimit := cli.AddMemoryLimitFlag(fs, "PROJECTOR_MEMORY_LIMIT")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	scope, err := scopeFl.scope(natsjs.DefaultPrefix)
	if err != nil {
		return err
	}
	if !scope.All() && *keyFile != "" {
		return fmt.Errorf("--checkpoint-key with --jurisdiction/--subjects: a projector of part of the ledger (%s) cannot sign checkpoints, its Merkle tree holds only its part's events; sign with a projector of the whole ledger", scope)
	}
	witnesses, quorum, err := witnessFlags.Witnesses()
	if err != nil {
		return err
	}
	log := newLogger(stderr, *logFormat)
	ctx, stopLimit := context.WithCancel(ctx) // the limit ends with the command
	defer stopLimit()
	if err := memLimit.Apply(ctx, log); err != nil {
		return err
	}
	httpSec, err := security.Open(*httpAddr, log)
	if err != nil {
		return err
	}
	st, err := auth.Open(ctx, *natsURL, cli.StreamOptions{Name: "lexledger-projector", Hint: "is 'ledger serve' or nats-server running?",
		Extra: []nats.Option{nats.MaxReconnects(-1)}, Config: natsjs.Config{Stream: *stream, Replicas: *replicas}, Views: true})
	if err != nil {
		return err
	}
	defer st.Close()
	opts := projector.Options{Feed: *feed, Logger: log, ModelCache: *modelCache, CheckpointInterval: *interval, Witnesses: witnesses, WitnessQuorum: quorum, Scope: scope}
	if *keyFile != "" {
		kp, pub, err := projector.LoadOrCreateKey(*keyFile, *origin)
		if err != nil {
			return err
		}
		opts.Signer = kp
		log.Info("signing checkpoints", "origin", kp.Origin(), "public_key", pub, "nkey", kp.NKey(), "key_file", *keyFile)
	}
	logWitnesses(log, witnesses, quorum, opts.Signer != nil)
	watch := natsjs.NewWatcher(natsjs.WatchOptions{Interval: *watchEvery, Logger: log})
	if err := watch.WatchStore(ctx, st.Store); err != nil {
		return err
	}
	if err := watch.WatchViews(ctx, st.Views); err != nil {
		return err
	}
	// The source: the whole stream, or the part of it the scope covers
	// (its consumer filtered on the part's subjects).
	var src projector.Source = st.Store
	var part *natsjs.Part
	if !scope.All() {
		part = st.Store.Part(scope)
		src = part
		log.Info("following part of the ledger", "scope", scope.String(), "filters", strings.Join(part.Filters(), ","))
	}
	projStore, closeStore, err := storeFl.Open(log)
	if err != nil {
		return err
	}
	defer closeStore()
	opts.Store, opts.TreeDir = projStore, storeFl.TreeDir()
	svc := projector.New(src, st.Views, opts)
	if err := svc.Restore(ctx); err != nil {
		return err
	}
	mux := http.NewServeMux()
	(&httpapi.Queries{Projector: svc, Log: log}).Routes(mux)
	mountOps(mux, st.Store, src, svc, watch)
	ui := web.New(svc, web.Options{Logger: log})
	ui.Routes(mux)
	mux.HandleFunc("/", httpapi.NotFound)
	ln, err := listen("tcp", *httpAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (choose another address with --http): %w", *httpAddr, err)
	}
	hs := httpapi.DefaultLimits.Server(httpSec.Handler(mux))
	hs.RegisterOnShutdown(ui.Close) // live streams end, so as not to hold the shutdown
	following := "stream " + *stream
	if part != nil {
		following = fmt.Sprintf("part %s of stream %s", scope, *stream)
	}
	fmt.Fprintf(stdout, "projector: serving queries on %s://%s, following %s at %s\n", httpSec.Scheme(), ln.Addr(), following, *natsURL)

	// Stopped in this order: the queries, then the projector (which saves
	// its snapshot); then the connection is drained (deferred above).
	g := rungroup.Group{Log: log}
	g.Add("signal", rungroup.Context(ctx, nil))
	g.Add("http", func(ctx context.Context) error { return httpSec.Run(ctx, hs, ln, shutdownGrace) })
	g.Add("projector", func(ctx context.Context) error {
		err := svc.Run(ctx)
		switch {
		case err == nil && ctx.Err() == nil:
			return errors.New("the projector stopped following the stream")
		case errors.Is(err, context.Canceled):
			return nil
		}
		return err
	})
	g.Add("stream-watch", watch.Run)
	return g.Run()
}

// listen opens the HTTP listener; tests replace it to break the listener.
var listen = net.Listen

// shutdownGrace is how long the queries in flight have to finish.
const shutdownGrace = 10 * time.Second

// mountOps mounts the operations endpoints: GET /healthz (liveness: the
// process serves), GET /readyz (the stream answers, no stream watch
// watches was weakened or deleted, the projector has caught up with the
// stream, and the stream extends its last signed checkpoint) and GET /metrics.
//
// The metrics' lag is against src: the stream, or the projector's part.
func mountOps(mux *http.ServeMux, store *natsjs.Store, src projector.Source, svc *projector.Service, watch *natsjs.Watcher) {
	reg := metrics.NewRegistry()
	reg.Watch(src, svc)
	reg.WatchConfigs(watch)
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /healthz", httpapi.Alive)
	mux.HandleFunc("GET /readyz", httpapi.Ready(
		httpapi.StreamCheck(store.Config().Stream, store.Health),
		httpapi.StreamConfigCheck(watch.Err),
		httpapi.ProjectorCheck(svc.ReadyCheck, svc.DefectNote),
	))
}

// logWitnesses says which witnesses the projector submits to, or, when it
// does not sign, only checks.
func logWitnesses(log *slog.Logger, ws []projector.Witness, quorum int, signs bool) {
	for _, w := range ws {
		if signs {
			log.Info("submitting checkpoints to witness", "witness", w.Name, "url", w.URL, "quorum", quorum)
		} else {
			log.Info("checking the cosignatures of witness (this projector signs no checkpoint, and submits none)", "witness", w.Name, "url", w.URL, "quorum", quorum)
		}
	}
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// runRebuild replays the whole stream into a fresh projection, saves it as
// the snapshot, and prints its digest.
func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("rebuild", "projector rebuild --nats-url URL [flags]", stderr)
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", "nats://127.0.0.1:4222"), "the NATS server of the ledger ($LEDGER_NATS_URL)")
	stream := fs.String("stream", natsjs.DefaultStream, "the ledger's stream")
	auth := cli.AddNATSAuthAs(fs, natsauth.RoleProjector)
	save := fs.Bool("save", true, "store the rebuilt projection as the snapshot that projectors restore")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	st, err := auth.Open(ctx, *natsURL, cli.StreamOptions{Name: "lexledger-rebuild", Config: natsjs.Config{Stream: *stream}, Views: true})
	if err != nil {
		return err
	}
	defer st.Close()
	store, views := st.Store, st.Views
	last, err := store.LastSeq(ctx)
	if err != nil {
		return err
	}
	bar := cli.NewProgress(stderr, *quiet, "rebuilding", int64(last))
	defer bar.Abandon()
	start := time.Now()
	p := projections.New()
	for st, err := range store.Read(ctx, natsjs.Position{Seq: 1}) {
		if err != nil {
			return fmt.Errorf("rebuild stopped at sequence %d: %w", p.LastSeq(), err)
		}
		if _, err := p.Apply(eventlog.Entry{Seq: st.Seq, Event: st.Event}); err != nil {
			return err
		}
		bar.Add(1)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rebuild cancelled at sequence %d; nothing was saved", p.LastSeq())
	}
	bar.Set(int64(p.Events()))
	bar.Done()
	took := time.Since(start)
	if *save {
		if err := views.SaveSnapshot(ctx, projector.SnapshotName, p.LastSeq(), p.WriteSnapshot); err != nil {
			return fmt.Errorf("save the snapshot: %w", err)
		}
	}
	fmt.Fprintf(stdout, "rebuilt %d events to sequence %d in %.1fs (%.0f events/s); digest %s\n",
		p.Events(), p.LastSeq(), took.Seconds(), float64(p.Events())/took.Seconds(), p.Digest())
	return nil
}
