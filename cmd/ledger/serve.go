package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // profiles on --pprof's address only
	"path/filepath"
	"time"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/web"
	"github.com/nats-io/nats.go"
)

// Defaults of ledger serve.
const (
	defaultData     = "./data"
	defaultHTTP     = "127.0.0.1:8080"
	defaultNATSPort = 4222
	shutdownGrace   = 15 * time.Second
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("serve", "ledger serve [flags]", stderr)
	data := fs.String("data", cli.EnvOr("LEDGER_DATA", defaultData), "directory of the embedded JetStream store ($LEDGER_DATA)")
	httpAddr := fs.String("http", cli.EnvOr("LEDGER_HTTP", defaultHTTP), "address of the clerks' HTTP API ($LEDGER_HTTP)")
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", ""), "connect to this NATS server or cluster (comma-separated URLs) instead of embedding one ($LEDGER_NATS_URL)")
	auth := cli.AddNATSAuth(fs)
	natsUsers := fs.String("nats-users", cli.EnvOr("LEDGER_NATS_USERS", ""), "name the senders of NATS commands in recorded_by (NAME@nats) with this file of public keys and names, the users.json that 'ledger nats-config' writes, on a server it configured ($LEDGER_NATS_USERS); a key not in the file is recorded as KEY@nats; without the file, every NATS command is recorded as anonymous@nats")
	natsPort := fs.Int("nats-port", defaultNATSPort, "client port of the embedded NATS server on 127.0.0.1 (0 picks a free one)")
	syncMode := fs.String("sync", "always", "embedded server durability: 'always' fsyncs every write before acknowledging it; 'interval' lets the server fsync every 2 minutes (faster; a power loss can lose the last acknowledged writes)")
	replicas := fs.Int("replicas", 1, "stream replicas when the stream is created (3 on a cluster)")
	stream := fs.String("stream", natsjs.DefaultStream, "JetStream stream name")
	logFormat := fs.String("log", "text", "log format: text or json")
	pprofAddr := fs.String("pprof", "", "serve Go's profiles (net/http/pprof) on this address, such as 127.0.0.1:6060; off by default")
	withProjector := fs.Bool("projector", true, "also run a projector in process and serve its queries on the same address")
	keyFile := fs.String("checkpoint-key", "", "the projector signs checkpoints with the nkey seed in this file (created if missing); default: DATA/checkpoint.nk when the server is embedded, none otherwise")
	security := cli.AddServeFlags(fs) // --auth, --tls-cert, --tls-key
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if auth.Set() && *natsURL == "" {
		return errors.New("--nats-nkey and --nats-ca log in to a server of your own: give its address with --nats-url (the embedded server has no access control)")
	}
	if *natsUsers != "" && *natsURL == "" {
		return errors.New("--nats-users names the users of a server of your own: give its address with --nats-url (the embedded server has no users)")
	}
	callers, err := natsauth.LoadUsers(*natsUsers)
	if err != nil {
		return err
	}
	if *syncMode != "always" && *syncMode != "interval" {
		return fmt.Errorf("--sync must be 'always' or 'interval', not %q", *syncMode)
	}
	if *pprofAddr != "" {
		go func() {
			// http.DefaultServeMux holds the profiles (net/http/pprof).
			if err := http.ListenAndServe(*pprofAddr, nil); err != nil {
				fmt.Fprintf(stderr, "pprof server: %v\n", err)
			}
		}()
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)
	httpSec, err := security.Open(*httpAddr, log)
	if err != nil {
		return err
	}

	url := *natsURL
	if url == "" {
		dir, _ := filepath.Abs(*data)
		unlock, err := lockData(dir, "serving it")
		if err != nil {
			return err
		}
		defer unlock()
		srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: dir, Port: *natsPort, SyncAlways: *syncMode == "always"})
		if err != nil {
			return err
		}
		defer func() {
			srv.Shutdown()
			srv.WaitForShutdown()
			log.Info("embedded NATS server stopped")
		}()
		url = srv.ClientURL()
		log.Info("embedded NATS server started", "url", url, "data", dir, "sync", *syncMode)
	}
	opts, err := auth.Options(nats.Name("lexledger-serve"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(false))
	if err != nil {
		return err
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w (is the server running? without --nats-url the ledger embeds one)", url, err)
	}
	defer nc.Close()
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	store, err := natsjs.Open(openCtx, nc, natsjs.Config{Stream: *stream, Replicas: *replicas})
	cancel()
	if err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	led := ledger.New(store, ledger.Options{Logger: log, Observe: reg.Ledger().Observe})
	svc, err := natsjs.Serve(nc, led, natsjs.ServiceOptions{Identity: "anonymous@nats", Callers: callers})
	if err != nil {
		led.Close()
		return fmt.Errorf("NATS service: %w", err)
	}
	api := &httpapi.Server{Ledger: led, Stream: store, Log: log, Health: func(ctx context.Context) error {
		_, err := store.LastSeq(ctx)
		return err
	}, Identify: httpSec.Identify(), StreamAdmin: streamAdmin(store)}
	mux := http.NewServeMux()
	api.Routes(mux)
	projDone := make(chan error, 1)
	projCtx, stopProj := context.WithCancel(context.Background())
	defer stopProj()
	var ui *web.Server // the auditors' web interface, with the projector
	var proj *projector.Service
	if *withProjector {
		views, err := natsjs.OpenViews(ctx, nc, *replicas)
		if err != nil {
			svc.Stop()
			led.Close()
			return err
		}
		popts := projector.Options{Feed: true, Logger: log}
		if *keyFile == "" && *natsURL == "" {
			*keyFile = filepath.Join(*data, "checkpoint.nk")
		}
		if *keyFile != "" {
			kp, pub, err := projector.LoadOrCreateKey(*keyFile)
			if err != nil {
				svc.Stop()
				led.Close()
				return err
			}
			popts.Signer = kp
			log.Info("signing checkpoints", "public_key", pub, "key_file", *keyFile)
		}
		proj = projector.New(store, views, popts)
		if err := proj.Restore(ctx); err != nil {
			svc.Stop()
			led.Close()
			return err
		}
		(&httpapi.Queries{Projector: proj, Log: log}).Routes(mux)
		ui = web.New(proj, web.Options{Logger: log})
		ui.Routes(mux)
		go func() {
			err := proj.Run(projCtx)
			if err != nil && projCtx.Err() == nil {
				// The ledger goes on taking writes; the projector's queries
				// answer as of where it stopped, and /readyz says not ready.
				log.Error("the in-process projector stopped: its views no longer follow the stream; fix the cause and restart", "err", err)
			}
			projDone <- err
		}()
	} else {
		projDone <- nil
	}
	mountOps(mux, reg, store, proj)
	mux.HandleFunc("/", httpapi.NotFound)
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		svc.Stop()
		led.Close()
		return fmt.Errorf("cannot listen on %s for HTTP (is another ledger running? choose another address with --http): %w", *httpAddr, err)
	}
	hs := &http.Server{Handler: httpSec.Handler(mux), ReadHeaderTimeout: 10 * time.Second}
	if ui != nil {
		hs.RegisterOnShutdown(ui.Close) // live streams end, so as not to hold the shutdown
	}
	served := make(chan error, 1)
	go func() { served <- httpSec.Serve(hs, ln) }()
	log.Info("ledger ready", "http", httpSec.Scheme()+"://"+ln.Addr().String(), "nats", url, "record_subject", natsjs.SubjectRecord, "stream", *stream)
	fmt.Fprintf(stdout, "ledger: serving HTTP on %s://%s and NATS requests on %s (%s)\n", httpSec.Scheme(), ln.Addr(), natsjs.SubjectRecord, url)

	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight appends")
	case err := <-served:
		log.Error("HTTP server stopped", "err", err)
	}
	// Stop taking requests; let those in flight finish (each batch is
	// atomic, so nothing is half-written); then stop the sequencer.
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	herr := hs.Shutdown(sctx)
	svc.Stop()
	led.Close()
	stopProj()
	if err := <-projDone; err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("projector stopped", "err", err)
	}
	if err := nc.Drain(); err != nil {
		log.Warn("drain NATS connection", "err", err)
	}
	if herr != nil && !errors.Is(herr, http.ErrServerClosed) {
		return fmt.Errorf("HTTP shutdown: %w", herr)
	}
	log.Info("ledger stopped")
	return nil
}

// readyWait is how long /readyz waits for an in-process projector to reach
// the stream's last sequence before it answers 503.
const readyWait = 500 * time.Millisecond

// mountOps mounts GET /metrics and GET /readyz: ready when the stream
// answers and, when proj is not nil, the projector has caught up with it.
func mountOps(mux *http.ServeMux, reg *metrics.Registry, store *natsjs.Store, proj *projector.Service) {
	checks := []httpapi.Check{{Name: "stream", Check: func(ctx context.Context) error {
		if _, err := store.LastSeq(ctx); err != nil {
			return fmt.Errorf("stream %s does not answer: %v", store.Config().Stream, err)
		}
		return nil
	}}}
	if proj != nil {
		reg.Watch(store, proj)
		checks = append(checks, httpapi.Check{Name: "projector", Check: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, readyWait)
			defer cancel()
			return proj.CaughtUp(ctx)
		}})
	} else {
		reg.Watch(store, nil)
	}
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /readyz", httpapi.Ready(checks...))
}
