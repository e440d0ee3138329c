package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/web"
	"github.com/nats-io/nats.go"
	"github.com/schollz/progressbar/v3"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("serve", "projector serve --nats-url URL [flags]", stderr)
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", "nats://127.0.0.1:4222"), "the NATS server or cluster of the ledger (comma-separated URLs) ($LEDGER_NATS_URL)")
	auth := cli.AddNATSAuth(fs)
	httpAddr := fs.String("http", cli.EnvOr("PROJECTOR_HTTP", "127.0.0.1:8081"), "address of the query API ($PROJECTOR_HTTP)")
	stream := fs.String("stream", natsjs.DefaultStream, "the ledger's stream")
	replicas := fs.Int("replicas", 1, "replicas of the projector's buckets when they are created")
	feed := fs.Bool("feed", true, "publish state changes and day notices")
	keyFile := fs.String("checkpoint-key", "", "sign checkpoints of the stream's Merkle tree with the nkey seed in this file (created if missing); none: sign no checkpoints")
	interval := fs.Duration("checkpoint-interval", time.Minute, "how often to sign a checkpoint when the stream grew")
	logFormat := fs.String("log", "text", "log format: text or json")
	security := cli.AddServeFlags(fs) // --auth, --tls-cert, --tls-key
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	log := newLogger(stderr, *logFormat)
	httpSec, err := security.Open(*httpAddr, log)
	if err != nil {
		return err
	}
	copts, err := auth.Options(nats.Name("lexledger-projector"), nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	nc, err := nats.Connect(*natsURL, copts...)
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w (is 'ledger serve' or nats-server running?)", *natsURL, err)
	}
	defer nc.Close()
	opts := projector.Options{Feed: *feed, Logger: log, CheckpointInterval: *interval}
	if *keyFile != "" {
		kp, pub, err := projector.LoadOrCreateKey(*keyFile)
		if err != nil {
			return err
		}
		opts.Signer = kp
		log.Info("signing checkpoints", "public_key", pub, "key_file", *keyFile)
	}
	store, svc, err := openService(ctx, nc, *stream, *replicas, opts)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	svc.Routes(mux, log)
	mountOps(mux, store, svc)
	ui := web.New(svc, web.Options{Logger: log})
	ui.Routes(mux)
	mux.HandleFunc("/", httpapi.NotFound)
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (choose another address with --http): %w", *httpAddr, err)
	}
	hs := &http.Server{Handler: httpSec.Handler(mux), ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(ui.Close) // live streams end, so as not to hold the shutdown
	go httpSec.Serve(hs, ln)
	fmt.Fprintf(stdout, "projector: serving queries on %s://%s, following stream %s at %s\n", httpSec.Scheme(), ln.Addr(), *stream, *natsURL)
	err = svc.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// openService opens the stream and the projector's resources and restores
// the latest snapshot.
func openService(ctx context.Context, nc *nats.Conn, stream string, replicas int, opts projector.Options) (*natsjs.Store, *projector.Service, error) {
	store, err := natsjs.Open(ctx, nc, natsjs.Config{Stream: stream, Replicas: replicas})
	if err != nil {
		return nil, nil, err
	}
	views, err := natsjs.OpenViews(ctx, nc, replicas)
	if err != nil {
		return nil, nil, err
	}
	svc := projector.New(store, views, opts)
	if err := svc.Restore(ctx); err != nil {
		return nil, nil, err
	}
	return store, svc, nil
}

// readyWait is how long /readyz waits for the projector to reach the
// stream's last sequence before it answers 503.
const readyWait = 500 * time.Millisecond

// mountOps mounts the operations endpoints: GET /healthz (liveness: the
// process serves), GET /readyz (the stream answers and the projector has
// caught up with it) and GET /metrics.
func mountOps(mux *http.ServeMux, store *natsjs.Store, svc *projector.Service) {
	reg := metrics.NewRegistry()
	reg.Watch(store, svc)
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", httpapi.Ready(
		httpapi.Check{Name: "stream", Check: func(ctx context.Context) error {
			if _, err := store.LastSeq(ctx); err != nil {
				return fmt.Errorf("stream %s does not answer: %v", store.Config().Stream, err)
			}
			return nil
		}},
		httpapi.Check{Name: "projector", Check: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, readyWait)
			defer cancel()
			return svc.CaughtUp(ctx)
		}},
	))
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
	auth := cli.AddNATSAuth(fs)
	save := fs.Bool("save", true, "store the rebuilt projection as the snapshot that projectors restore")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	copts, err := auth.Options(nats.Name("lexledger-rebuild"))
	if err != nil {
		return err
	}
	nc, err := nats.Connect(*natsURL, copts...)
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", *natsURL, err)
	}
	defer nc.Close()
	store, err := natsjs.Open(ctx, nc, natsjs.Config{Stream: *stream})
	if err != nil {
		return err
	}
	views, err := natsjs.OpenViews(ctx, nc, 1)
	if err != nil {
		return err
	}
	last, err := store.LastSeq(ctx)
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if !*quiet {
		bar = progressbar.NewOptions64(int64(last), progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("rebuilding"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))
	}
	start := time.Now()
	p := projections.New()
	for st, err := range store.Read(ctx, natsjs.Position{Seq: 1}) {
		if err != nil {
			return fmt.Errorf("rebuild stopped at sequence %d: %w", p.LastSeq(), err)
		}
		if _, err := p.Apply(eventlog.Entry{Seq: st.Seq, Event: st.Event}); err != nil {
			return err
		}
		if bar != nil && st.Seq%1000 == 0 {
			bar.Set64(int64(st.Seq))
		}
	}
	if bar != nil {
		bar.Set64(int64(last))
		bar.Finish()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rebuild cancelled at sequence %d; nothing was saved", p.LastSeq())
	}
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
