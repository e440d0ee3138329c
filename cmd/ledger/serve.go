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

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/internal/rungroup"
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
	defaultStoreDir = "projection" // the in-process projector's store, in DATA
	defaultHTTP     = "127.0.0.1:8080"
	defaultNATSPort = 4222
	shutdownGrace   = 15 * time.Second
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := cli.NewFlags("serve", "ledger serve [flags]", stderr)
	data := fs.String("data", cli.EnvOr("LEDGER_DATA", defaultData), "directory of the embedded JetStream store ($LEDGER_DATA)")
	httpAddr := fs.String("http", cli.EnvOr("LEDGER_HTTP", defaultHTTP), "address of the clerks' HTTP API ($LEDGER_HTTP)")
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", ""), "connect to this NATS server or cluster (comma-separated URLs) instead of embedding one ($LEDGER_NATS_URL)")
	auth := cli.AddNATSAuth(fs)
	natsUsers := fs.String("nats-users", cli.EnvOr("LEDGER_NATS_USERS", ""), "name the senders of NATS commands in recorded_by (NAME@nats) with this file of public keys and names, the users.json that 'ledger nats-config' writes, on a server it configured ($LEDGER_NATS_USERS); a key not in the file is recorded as KEY@nats; without the file, every NATS command is recorded as anonymous@nats")
	natsPort := fs.Int("nats-port", defaultNATSPort, "client port of the embedded NATS server on 127.0.0.1 (0 picks a free one; -1 none: the ledger and its projector connect in process, and no other process can)")
	openNATS := fs.Bool("insecure-open-nats", false, "run the embedded NATS server without access control, as before version 13: WARNING: "+openNATSWarning+". By default it has the accounts and roles of 'ledger nats-config', with the roles' seeds in DATA/nats")
	syncMode := fs.String("sync", "always", "embedded server durability: 'always' fsyncs every write before acknowledging it; 'interval' lets the server fsync every 2 minutes (faster; a power loss can lose the last acknowledged writes)")
	replicas := fs.Int("replicas", 1, "stream replicas when the stream is created (3 on a cluster)")
	stream := fs.String("stream", natsjs.DefaultStream, "JetStream stream name")
	logFormat := fs.String("log", "text", "log format: text or json")
	pprofAddr := fs.String("pprof", "", "serve Go's profiles (net/http/pprof) on this address, such as 127.0.0.1:6060; off by default")
	withProjector := fs.Bool("projector", true, "also run a projector in process and serve its queries on the same address")
	storeFl := cli.AddStoreFlag(fs, "") // default DATA/projection
	modelCache := cli.AddModelCacheFlag(fs)
	keyFile := fs.String("checkpoint-key", cli.EnvOr("LEDGER_CHECKPOINT_KEY", ""), "the projector signs checkpoints with the key in this file (a note signer key, or the nkey seed of an older ledger; created if missing, mode 0600; refused if others may read it) ($LEDGER_CHECKPOINT_KEY); default: $XDG_CONFIG_HOME/lexledger/checkpoint.nk (~/.config/lexledger/checkpoint.nk) when the server is embedded, none otherwise; never inside DATA")
	origin := fs.String("checkpoint-origin", cli.EnvOr("LEDGER_CHECKPOINT_ORIGIN", ""), "the origin line of the checkpoint notes, naming this ledger, and so the name of a new key ($LEDGER_CHECKPOINT_ORIGIN; default: the key's name, or "+audit.DefaultOrigin+")")
	watchEvery := fs.Duration("watch-interval", natsjs.DefaultWatchInterval, "how often to check that no stream the ledger depends on was changed so that events can be lost or admitted, or deleted (JetStream's advisories are also heard, when permitted)")
	actCache := fs.Int("act-cache", ledger.DefaultActCache, actCacheUsage)
	memLimit := cli.AddMemoryLimitFlag(fs, "LEDGER_MEMORY_LIMIT")
	security := cli.AddServeFlags(fs)       // --auth, --tls-cert, --tls-key
	witnessFlags := cli.AddWitnessFlags(fs) // --witness, --witness-quorum
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	witnesses, quorum, err := witnessFlags.Witnesses()
	if err != nil {
		return err
	}
	if len(witnesses) > 0 && !*withProjector {
		return errors.New("--witness is for the projector, and --projector=false runs none: give the witnesses to 'projector serve', or leave --projector on")
	}
	if auth.Set() && *natsURL == "" {
		return errors.New("--nats-nkey and --nats-ca log in to a server of your own: give its address with --nats-url (the ledger logs in to its embedded server by itself)")
	}
	if *natsUsers != "" && *natsURL == "" {
		return errors.New("--nats-users names the users of a server of your own: give its address with --nats-url (the embedded server names its users by their roles, DATA/nats/users.json)")
	}
	if *openNATS && *natsURL != "" {
		return errors.New("--insecure-open-nats is about the embedded server: leave it out with --nats-url")
	}
	if *natsPort < -1 || *natsPort > 65535 {
		return fmt.Errorf("--nats-port %d: give a port between 1 and 65535, 0 for a free one, or -1 for none", *natsPort)
	}
	callers, err := natsauth.LoadUsers(*natsUsers)
	if err != nil {
		return err
	}
	if *syncMode != "always" && *syncMode != "interval" {
		return fmt.Errorf("--sync must be 'always' or 'interval', not %q", *syncMode)
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)
	ctx, stopLimit := context.WithCancel(ctx) // the limit ends with the command
	defer stopLimit()
	if err := memLimit.Apply(ctx, log); err != nil {
		return err
	}
	defer func() {
		if err == nil {
			log.Info("ledger stopped")
		}
	}()
	httpSec, err := security.Open(*httpAddr, log)
	if err != nil {
		return err
	}

	// Resources, released by the defers in the reverse order: the
	// connections are drained, then the embedded server stops.
	url := *natsURL
	connURL := url // empty for the in-process connections
	extra := []nats.Option{nats.MaxReconnects(-1), nats.RetryOnFailedConnect(false)}
	var emb *embedded // the embedded server, nil with --nats-url
	if url == "" {
		dir, _ := filepath.Abs(*data)
		unlock, err := lockData(dir, "serving it")
		if err != nil {
			return err
		}
		defer unlock()
		emb, err = startEmbedded(embeddedOptions{dir: dir, port: *natsPort, syncAlways: *syncMode == "always", stream: *stream, open: *openNATS}, log)
		if err != nil {
			return err
		}
		defer func() {
			emb.stop()
			log.Info("embedded NATS server stopped")
		}()
		url = emb.url()
		if emb.keys == nil {
			log.Warn("--insecure-open-nats: "+openNATSWarning+"; leave the flag out to run it with access control", "url", url)
		} else {
			callers = emb.keys.Callers()
			if emb.srv.Addr() != nil {
				if err := emb.keys.WriteContexts(emb.srv.ClientURL()); err != nil {
					return err
				}
			}
			log.Info("embedded NATS server access-controlled: clients log in with their role's nkey seed", "keys", emb.keys.Dir,
				"clerk", emb.keys.Seeds[string(natsauth.RoleClerk)], "auditor", emb.keys.Seeds[string(natsauth.RoleAuditor)],
				"subscriber", emb.keys.Seeds[string(natsauth.RoleSubscriber)], "admin", emb.keys.Seeds[string(natsauth.RoleAdmin)])
		}
		log.Info("embedded NATS server started", "url", url, "data", dir, "sync", *syncMode)
		extra = append(extra, emb.options(natsauth.RoleLedger)...)
	}
	// The ledger's connection; with --nats-url, the in-process projector
	// shares it (and keeps its views in the stream's account), while on
	// the embedded server it has a connection of its own as the projector.
	st, err := auth.Open(ctx, connURL, cli.StreamOptions{Name: "lexledger-serve", Hint: "is the server running? without --nats-url the ledger embeds one",
		Extra: extra, Config: natsjs.Config{Stream: *stream, Replicas: *replicas}, Views: *withProjector && emb == nil})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Warn("drain NATS connection", "err", err)
		}
	}()
	store := st.Store
	watch, err := watchStreams(ctx, st, *watchEvery, log)
	if err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	led := ledger.New(store, ledger.Options{Logger: log, Observe: reg.Ledger().Observe, ActCache: actCacheOption(*actCache)})
	defer led.Close()
	svc, err := natsjs.Serve(st.Conn, led, natsjs.ServiceOptions{Identity: "anonymous@nats", Callers: callers})
	if err != nil {
		return fmt.Errorf("NATS service: %w", err)
	}
	defer svc.Stop()
	api := &httpapi.Server{Ledger: led, Stream: store, Log: log, Limits: httpapi.DefaultLimits, Health: func(ctx context.Context) error {
		_, err := store.LastSeq(ctx)
		return err
	}, Identify: httpSec.Identify(), StreamAdmin: streamAdmin(store)}
	mux := http.NewServeMux()
	api.Routes(mux)
	var ui *web.Server // the auditors' web interface, with the projector
	var proj *projector.Service
	if *withProjector {
		popts := projector.Options{Feed: true, Logger: log, ModelCache: *modelCache, Witnesses: witnesses, WitnessQuorum: quorum}
		if *keyFile == "" && *natsURL == "" {
			if *keyFile, err = defaultCheckpointKey(*data, log); err != nil {
				return err
			}
		}
		if *keyFile != "" {
			kp, pub, err := projector.LoadOrCreateKey(*keyFile, *origin)
			if err != nil {
				return err
			}
			popts.Signer = kp
			log.Info("signing checkpoints", "origin", kp.Origin(), "public_key", pub, "nkey", kp.NKey(), "key_file", *keyFile)
		}
		for _, w := range witnesses {
			log.Info("submitting checkpoints to witness", "witness", w.Name, "url", w.URL, "quorum", quorum, "signs", popts.Signer != nil)
		}
		pstore, views := store, st.Views
		if emb != nil {
			pst, err := auth.Open(ctx, connURL, cli.StreamOptions{Name: "lexledger-serve-projector",
				Extra: append([]nats.Option{nats.MaxReconnects(-1)}, emb.options(natsauth.RoleProjector)...), Config: natsjs.Config{Stream: *stream, Replicas: *replicas}, Views: true})
			if err != nil {
				return fmt.Errorf("the in-process projector: %w", err)
			}
			defer func() {
				if err := pst.Close(); err != nil {
					log.Warn("drain the projector's NATS connection", "err", err)
				}
			}()
			pstore, views = pst.Store, pst.Views
			// The projector's views are in its own account: watched
			// through its connection.
			if err := watch.WatchViews(ctx, views); err != nil {
				return err
			}
		}
		storeFl.OrIn(filepath.Join(*data, defaultStoreDir))
		projStore, closeStore, err := storeFl.Open(log)
		if err != nil {
			return err
		}
		defer closeStore()
		popts.Store, popts.TreeDir = projStore, storeFl.TreeDir()
		proj = projector.New(pstore, views, popts)
		if err := proj.Restore(ctx); err != nil {
			return err
		}
		(&httpapi.Queries{Projector: proj, Log: log}).Routes(mux)
		ui = web.New(proj, web.Options{Logger: log})
		ui.Routes(mux)
	}
	mountOps(mux, reg, store, proj, watch)
	mux.HandleFunc("/", httpapi.NotFound)
	var pprofLn net.Listener
	if *pprofAddr != "" {
		if pprofLn, err = net.Listen("tcp", *pprofAddr); err != nil {
			return fmt.Errorf("cannot listen on %s for --pprof: %w", *pprofAddr, err)
		}
	}
	ln, err := listen("tcp", *httpAddr)
	if err != nil {
		if pprofLn != nil {
			pprofLn.Close()
		}
		return fmt.Errorf("cannot listen on %s for HTTP (is another ledger running? choose another address with --http): %w", *httpAddr, err)
	}
	hs := httpapi.DefaultLimits.Server(httpSec.Handler(mux))
	if ui != nil {
		hs.RegisterOnShutdown(ui.Close) // live streams end, so as not to hold the shutdown
	}
	log.Info("ledger ready", "http", httpSec.Scheme()+"://"+ln.Addr().String(), "nats", url, "record_subject", natsjs.SubjectRecord, "stream", *stream)
	fmt.Fprintf(stdout, "ledger: serving HTTP on %s://%s and NATS requests on %s (%s)\n", httpSec.Scheme(), ln.Addr(), natsjs.SubjectRecord, url)
	if emb != nil && emb.keys != nil {
		fmt.Fprintf(stdout, "ledger: NATS clients log in with their role's nkey seed in %s (clerk.nk, auditor.nk, subscriber.nk, admin.nk; the ledger's commands find them there); the nats tool: go tool nats --context %s ...\n", emb.keys.Dir, natsauth.ContextFile(emb.keys.Dir, natsauth.RoleClerk))
	}

	c := components{httpSec: httpSec, hs: hs, ln: ln, pprofLn: pprofLn, svc: svc, led: led, proj: proj, watch: watch}
	return c.run(ctx, log)
}

// listen opens the HTTP listener; tests replace it to break the listener.
var listen = net.Listen

// components are what ledger serve runs once it is set up.
type components struct {
	httpSec     *cli.HTTPSecurity
	hs          *http.Server
	ln, pprofLn net.Listener // pprofLn is nil without --pprof
	svc         *natsjs.Service
	led         *ledger.Ledger
	proj        *projector.Service // nil without --projector
	watch       *natsjs.Watcher
}

// run runs the components as one group until ctx ends or one of them
// stops, then stops the others, and returns the first error.
func (c components) run(ctx context.Context, log *slog.Logger) error {
	// The components stop in the order they are added: stop taking
	// requests and let those in flight finish (each batch is atomic, so
	// nothing is half-written); then stop the sequencer; then the
	// projector. Any one stopping stops all.
	g := rungroup.Group{Log: log}
	g.Add("signal", rungroup.Context(ctx, func() { log.Info("shutting down: finishing in-flight appends") }))
	if c.pprofLn != nil {
		// http.DefaultServeMux holds the profiles (net/http/pprof).
		// No write timeout: a CPU profile takes as long as it is asked to.
		pl := httpapi.DefaultLimits
		pl.Write = 0
		ps := pl.Server(http.DefaultServeMux)
		g.Add("pprof", func(ctx context.Context) error {
			return cli.RunHTTP(ctx, ps, c.pprofLn, (*http.Server).Serve, time.Second)
		})
	}
	g.Add("http", func(ctx context.Context) error { return c.httpSec.Run(ctx, c.hs, c.ln, shutdownGrace) })
	g.Add("nats-service", func(ctx context.Context) error {
		select {
		case <-c.svc.Done():
			return errors.New("the NATS service stopped: its connection to NATS closed")
		case <-ctx.Done():
			return c.svc.Stop()
		}
	})
	g.Add("sequencer", func(ctx context.Context) error {
		<-ctx.Done()
		return c.led.Close()
	})
	if c.proj != nil {
		g.Add("projector", func(ctx context.Context) error {
			err := c.proj.Run(ctx)
			if err != nil && ctx.Err() == nil {
				// The ledger goes on taking writes; the projector's queries
				// answer as of where it stopped, and /readyz says not ready.
				log.Error("the in-process projector stopped: its views no longer follow the stream; fix the cause and restart", "err", err)
				<-ctx.Done()
			} else if err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("projector stopped", "err", err)
			}
			return nil
		})
	}
	g.Add("stream-watch", c.watch.Run)
	return g.Run()
}

// watchStreams watches the stream, and the views when open: while one is
// weakened or deleted, /readyz says how and the store refuses appends
// (docs/RUNBOOK.md).
func watchStreams(ctx context.Context, st *cli.Stream, every time.Duration, log *slog.Logger) (*natsjs.Watcher, error) {
	w := natsjs.NewWatcher(natsjs.WatchOptions{Interval: every, Logger: log})
	if err := w.WatchStore(ctx, st.Store); err != nil {
		return nil, err
	}
	if st.Views != nil {
		if err := w.WatchViews(ctx, st.Views); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// mountOps mounts GET /metrics and GET /readyz: ready when the stream
// answers and keeps its configuration (so do the views, watched by watch)
// and, when proj is not nil, the projector has caught up with it.
func mountOps(mux *http.ServeMux, reg *metrics.Registry, store *natsjs.Store, proj *projector.Service, watch *natsjs.Watcher) {
	checks := []httpapi.Check{httpapi.StreamCheck(store.Config().Stream, store.Health), httpapi.StreamConfigCheck(watch.Err)}
	reg.WatchConfigs(watch)
	if proj != nil {
		reg.Watch(metrics.StreamFunc(store.Health), proj)
		checks = append(checks, httpapi.ProjectorCheck(proj.ReadyCheck, proj.DefectNote))
	} else {
		reg.Watch(metrics.StreamFunc(store.Health), nil)
	}
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /readyz", httpapi.Ready(checks...))
}
