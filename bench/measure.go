package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// measureScale runs the matrix's measurements on a fresh server in one
// sync mode: it loads n events (raw, then through the ledger's import),
// replays them (raw, projector, verifier), asks the projection as-of
// questions, measures append-to-view, stops the projector, and measures
// single and HTTP appends on top of the loaded stream.
func measureScale(ctx context.Context, cfg *Config, pr *progress, always bool, n int) (Result, error) {
	res := Result{Always: always, Scale: n}
	pr.step("starting an embedded server")
	e, err := newEnv(ctx, cfg.Dir, always)
	if err != nil {
		return res, err
	}
	defer e.close()

	// Load: the raw engine's atomic batches, then the ledger's import.
	pr.step("bulk load, raw atomic batches")
	raw, err := rawBulk(ctx, e, pr, n)
	if err != nil {
		return res, err
	}
	var same float64
	if cfg.runs("bulk") {
		pr.step("bulk load, raw atomic batches of the ledger's messages")
		if same, err = rawSameBulk(ctx, cfg, e, pr, n); err != nil {
			return res, err
		}
	}
	l := ledger.New(e.store, ledger.Options{})
	defer l.Close()
	pr.step("bulk load, ledger import")
	led, err := ledgerImport(ctx, cfg, pr, l, n)
	if err != nil {
		return res, err
	}
	if cfg.runs("bulk") {
		res.Bulk = &Rate{Raw: raw, Same: same, Ledger: led}
	}

	hs, url, err := serveHTTP(l)
	if err != nil {
		return res, err
	}
	defer hs.Close()
	if cfg.runs("rebuild") || cfg.runs("query") || cfg.runs("view") {
		if err := measureReads(ctx, cfg, pr, e, l, n, url, &res); err != nil {
			return res, err
		}
	}

	if cfg.runs("single") {
		pr.step("single appends")
		s, err := measureSingle(ctx, e, l, cfg.Singles, always)
		if err != nil {
			return res, err
		}
		res.Single = &s
	}
	if cfg.runs("http") {
		rows, err := measureHTTP(ctx, cfg, pr, e, l, url)
		if err != nil {
			return res, err
		}
		res.HTTP = rows
	}
	return res, nil
}

// measureReads replays the loaded stream (raw, rebuild, verifier), runs a
// projector from empty until it has caught up, asks it as-of questions,
// measures append-to-view through the HTTP API at url, and stops the
// projector.
func measureReads(ctx context.Context, cfg *Config, pr *progress, e *env, l *ledger.Ledger, n int, url string, res *Result) error {
	var rebuild Rebuild
	if cfg.runs("rebuild") {
		pr.step("rebuild: replay and fold")
		var err error
		if rebuild.Fold, err = replayFold(ctx, e.store); err != nil {
			return err
		}
		runtime.GC()
	}
	pr.step("projector catch-up from empty")
	views, err := natsjs.OpenViews(ctx, e.nc, 1)
	if err != nil {
		return err
	}
	proj := projector.New(e.store, views, projector.Options{Logger: slog.New(slog.DiscardHandler)})
	pctx, stopProj := context.WithCancel(ctx)
	projDone := make(chan struct{}) // closed when Run has returned projErr
	var projErr error
	defer func() { stopProj(); <-projDone }() // the appends after this are the ledger's alone
	start := time.Now()
	go func() { projErr = proj.Run(pctx); close(projDone) }()
	stopped := func() error { return fmt.Errorf("the projector stopped: %v", projErr) }
	last, err := e.store.LastSeq(ctx)
	if err != nil {
		return err
	}
	if err := waitProjector(ctx, proj, projDone, stopped, last); err != nil {
		return err
	}
	rebuild.Events, rebuild.Projector = n, float64(last)/time.Since(start).Seconds()
	if cfg.runs("rebuild") {
		pr.step("raw replay and verification")
		if rebuild.Bare, rebuild.Replay, rebuild.Verify, err = replayVerify(ctx, e, views, last); err != nil {
			return err
		}
		res.Rebuild = &rebuild
	}
	if cfg.runs("query") {
		pr.step("as-of queries")
		q, err := measureQueries(ctx, cfg, e, proj, n)
		if err != nil {
			return err
		}
		res.Query = q
	}

	if cfg.runs("view") {
		pr.step("append-to-view latency")
		v, err := measureView(ctx, cfg, e, l, proj, projDone, stopped, url)
		if err != nil {
			return err
		}
		res.View = v
	}
	return nil
}

// waitProjector waits until proj has applied seq, or its Run has returned
// (done closed; stopped says why).
func waitProjector(ctx context.Context, proj *projector.Service, done <-chan struct{}, stopped func() error, seq uint64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	waited := make(chan error, 1)
	go func() { _, err := proj.WaitFor(wctx, seq); waited <- err }()
	select {
	case err := <-waited:
		return err
	case <-done:
		return stopped()
	}
}

// rawBulk publishes n 400-byte messages in atomic batches of 1000, ten
// messages a subject, as the import writes ten events an act.
func rawBulk(ctx context.Context, e *env, pr *progress, n int) (float64, error) {
	start := time.Now()
	msgs := make([]*nats.Msg, 0, ledger.DefaultMaxBatch)
	for done := 0; done < n; done += ledger.DefaultMaxBatch {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		msgs = msgs[:0]
		for i := done; i < done+ledger.DefaultMaxBatch && i < n; i++ {
			m := nats.NewMsg(rawPrefix + ".b." + strconv.Itoa(i/10))
			m.Data = payload400
			msgs = append(msgs, m)
		}
		if _, err := jetstreamext.PublishMsgBatch(ctx, e.js, msgs, jetstreamext.BatchFlowControl{AckFirst: false}); err != nil {
			return 0, fmt.Errorf("raw batch at %d: %w", done, err)
		}
		pr.part("raw batches", int64(done+len(msgs)), int64(n))
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// ledgerImport imports n generated events through cfg.Import and the
// ledger's AppendAtomic, as `ledger import --nats-url` does.
func ledgerImport(ctx context.Context, cfg *Config, pr *progress, l *ledger.Ledger, n int) (float64, error) {
	var load bytes.Buffer
	if err := cfg.generate(ctx, &load, n); err != nil {
		return 0, err
	}
	size := int64(load.Len())
	var consumed int64
	start := time.Now()
	sent, err := cfg.Import(ctx, &load, func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error) {
		return l.AppendAtomic(ctx, "bench", cmds)
	}, func(b int64) { consumed += b; pr.part("ledger import", consumed, size) })
	if err != nil {
		return 0, err
	}
	if sent != n {
		return 0, fmt.Errorf("import sent %d events of %d", sent, n)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// replayFold replays the stream into a new projection, as `projector
// rebuild --save=false` does, and returns the rate.
func replayFold(ctx context.Context, store *natsjs.Store) (float64, error) {
	start := time.Now()
	p := projections.New()
	for st, err := range store.Read(ctx, natsjs.Position{Seq: 1}) {
		if err != nil {
			return 0, err
		}
		if _, err := p.Apply(eventlog.Entry{Seq: st.Seq, Event: st.Event}); err != nil {
			return 0, err
		}
	}
	return float64(p.Events()) / time.Since(start).Seconds(), nil
}

// replayRounds is how many alternating rounds of the three replays
// replayVerify takes: the projector is still running then (its own check
// of the stored bytes reads the stream when it has caught up), and the
// median round of each falls alike on the three.
const replayRounds = 3

// replayVerify replays the ledger's stream with a bare ordered consumer
// (the engine's fastest read, nothing done with a message but counting it)
// and with the store's ReadRaw, then verifies it as `projector verify`
// does, in replayRounds alternating rounds, and returns the median rate
// of each.
func replayVerify(ctx context.Context, e *env, views *natsjs.Views, last uint64) (bare, replay, verify float64, err error) {
	var bares, replays, verifies []float64
	for range replayRounds {
		start := time.Now()
		count, err := bareReplay(ctx, e)
		if err != nil {
			return 0, 0, 0, err
		}
		bares = append(bares, float64(count)/time.Since(start).Seconds())
		start = time.Now()
		count = 0
		for _, err := range e.store.ReadRaw(ctx) {
			if err != nil {
				return 0, 0, 0, err
			}
			count++
		}
		replays = append(replays, float64(count)/time.Since(start).Seconds())
		start = time.Now()
		rep, err := verifyStream(ctx, e.store, views)
		if err != nil {
			return 0, 0, 0, err
		}
		if !rep.OK || rep.Events != last {
			return 0, 0, 0, fmt.Errorf("verification of the benchmark's stream failed (%d events of %d): %+v", rep.Events, last, rep.Failures[:min(3, len(rep.Failures))])
		}
		verifies = append(verifies, float64(rep.Events)/time.Since(start).Seconds())
	}
	return median(bares), median(replays), median(verifies), nil
}

// bareReplay reads the ledger's whole stream with an ordered consumer, as
// fast as the client library reads (docs: NATS.md, Reading): pulls of
// 4000, nothing done with a message but counting it, up to the number of
// messages the stream holds.
func bareReplay(ctx context.Context, e *env) (int, error) {
	lex, err := e.js.Stream(ctx, natsjs.DefaultStream)
	if err != nil {
		return 0, err
	}
	info, err := lex.Info(ctx)
	if err != nil {
		return 0, err
	}
	cons, err := lex.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return 0, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4000))
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	count := 0
	for uint64(count) < info.State.Msgs {
		if _, err := it.Next(jetstream.NextContext(ctx)); err != nil {
			return count, fmt.Errorf("bare replay after %d messages: %w", count, err)
		}
		count++
	}
	return count, nil
}

// verifyStream verifies the stream as `projector verify` does
// (cmd/projector/audit.go, verifyStream): the last sequence, the pass of
// natsjs.Verify with a (quiet) progress bar counting, the report.
func verifyStream(ctx context.Context, store *natsjs.Store, views *natsjs.Views) (audit.Report, error) {
	last, err := store.LastSeq(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	bar := cli.NewProgress(io.Discard, true, "verifying", int64(last))
	defer bar.Abandon()
	v := audit.NewVerifier(nil)
	if _, err := natsjs.Verify(ctx, store, views, v, func() { bar.Add(1) }); err != nil {
		return audit.Report{}, err
	}
	rep := v.Report()
	if rep.OK {
		bar.Set(int64(rep.Events))
		bar.Done()
	}
	return rep, nil
}

// queryDay is the valid date of the as-of questions: the generated acts
// are in force, and amended on some of the days before.
const queryDay = "2005-06-15"

// measureQueries asks the projection for one act's state on a day (against
// the engine's direct get of the act's last message) and for every act's
// state on that day (against the engine's listing of every act's subject).
func measureQueries(ctx context.Context, cfg *Config, e *env, proj *projector.Service, n int) (*Query, error) {
	day, err := events.ParseDate(queryDay)
	if err != nil {
		return nil, err
	}
	acts := max(1, n/10)
	rnd := rand.New(rand.NewPCG(1, 2))
	pick := func() events.ActID { return events.ActID(generatedAct(1 + rnd.IntN(acts))) }
	if cfg.realistic() {
		// The acts of a realistic book: those in force on the day are
		// asked, and every act is listed.
		var inForce []events.ActID
		var err error
		proj.Read(func(p *projections.Projection) {
			var sts []projections.ActState
			sts, err = p.List(projections.Filter{}, projections.Query{AsOf: day})
			acts = len(sts)
			for _, st := range sts {
				if st.Status.InForceOn() {
					inForce = append(inForce, st.Act)
				}
			}
		})
		if err != nil {
			return nil, err
		}
		if len(inForce) == 0 {
			return nil, fmt.Errorf("no act of the realistic book is in force on %s", queryDay)
		}
		pick = func() events.ActID { return inForce[rnd.IntN(len(inForce))] }
	}
	q := &Query{Acts: acts, StateDay: queryDay}
	lex, err := e.js.Stream(ctx, natsjs.DefaultStream)
	if err != nil {
		return nil, err
	}
	if q.RawGet, err = timeEach(ctx, 5000, cfg.Duration, func(int) error {
		_, err := lex.GetLastMsgForSubject(ctx, e.store.Subject(pick()))
		return err
	}); err != nil {
		return nil, fmt.Errorf("raw direct get: %w", err)
	}
	if q.State, err = timeEach(ctx, 5000, cfg.Duration, func(int) error {
		var err error
		proj.Read(func(p *projections.Projection) {
			var st projections.ActState
			st, err = p.State(pick(), projections.Query{AsOf: day})
			if err == nil && !st.Status.InForceOn() {
				err = fmt.Errorf("act %s on %s is %s, not in force", st.Act, queryDay, st.Status)
			}
		})
		return err
	}); err != nil {
		return nil, fmt.Errorf("projection state: %w", err)
	}
	if q.RawList, err = timeEach(ctx, 200, cfg.Duration, func(int) error {
		info, err := lex.Info(ctx, jetstream.WithSubjectFilter(e.store.Config().Prefix+".>"))
		if err == nil && len(info.State.Subjects) < acts {
			err = fmt.Errorf("the stream lists %d subjects, want at least %d", len(info.State.Subjects), acts)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("raw subject listing: %w", err)
	}
	if q.List, err = timeEach(ctx, 200, cfg.Duration, func(int) error {
		var err error
		proj.Read(func(p *projections.Projection) {
			var sts []projections.ActState
			sts, err = p.List(projections.Filter{}, projections.Query{AsOf: day})
			if err == nil && len(sts) < acts {
				err = fmt.Errorf("the projection listed %d acts, want at least %d", len(sts), acts)
			}
		})
		return err
	}); err != nil {
		return nil, fmt.Errorf("projection list: %w", err)
	}
	return q, nil
}

// serveHTTP serves the clerks' HTTP API of l on a loopback port.
func serveHTTP(l *ledger.Ledger) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	hs := &http.Server{Handler: (&httpapi.Server{Ledger: l, Log: slog.New(slog.DiscardHandler)}).Handler()}
	go hs.Serve(ln)
	return hs, "http://" + ln.Addr().String() + "/v1/events", nil
}

// amendmentBody is the HTTP request body of an amendment to act, without
// an id, so that each request records a new event.
func amendmentBody(ctx context.Context, l *ledger.Ledger, act string) ([]byte, error) {
	next, err := setupAct(ctx, l, act)
	if err != nil {
		return nil, err
	}
	b, err := ledger.EncodeCommand(next())
	if err != nil {
		return nil, err
	}
	return bytes.Replace(b, []byte(`"id":"00000000000000000000000000",`), nil, 1), nil
}

// postEvent records one event over HTTP and returns its receipt.
func postEvent(ctx context.Context, client *http.Client, url string, body []byte) (ledger.Receipt, error) {
	var rc ledger.Receipt
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return rc, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return rc, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return rc, err
	}
	if resp.StatusCode != http.StatusCreated {
		return rc, fmt.Errorf("HTTP append: %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	return rc, json.Unmarshal(data, &rc)
}

// measureView times one clerk's append over HTTP until the projector has
// applied it, against a raw publish until an ordered consumer has it.
func measureView(ctx context.Context, cfg *Config, e *env, l *ledger.Ledger, proj *projector.Service, projDone <-chan struct{}, stopped func() error, url string) (*View, error) {
	v := &View{}
	subject := rawPrefix + ".view"
	cons, err := e.raw.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return nil, err
	}
	got := make(chan struct{}, 16)
	cc, err := cons.Consume(func(m jetstream.Msg) { got <- struct{}{} })
	if err != nil {
		return nil, err
	}
	var lastSeq uint64
	v.Raw, err = timeEach(ctx, 5000, cfg.Duration, func(int) error {
		ack, err := e.js.Publish(ctx, subject, payload400, jetstream.WithExpectLastSequencePerSubject(lastSeq))
		if err != nil {
			return err
		}
		lastSeq = ack.Sequence
		select {
		case <-got:
			return nil
		case <-time.After(10 * time.Second):
			return fmt.Errorf("the raw consumer did not deliver sequence %d in 10 s", ack.Sequence)
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	cc.Stop()
	if err != nil {
		return nil, fmt.Errorf("raw publish to consumer: %w", err)
	}

	body, err := amendmentBody(ctx, l, benchAct(1))
	if err != nil {
		return nil, err
	}
	client := &http.Client{}
	var acks []time.Duration
	v.Ledger, err = timeEach(ctx, 5000, cfg.Duration, func(int) error {
		start := time.Now()
		rc, err := postEvent(ctx, client, url, body)
		if err != nil {
			return err
		}
		acks = append(acks, time.Since(start))
		return waitProjector(ctx, proj, projDone, stopped, rc.Seq)
	})
	if err != nil {
		return nil, fmt.Errorf("HTTP append to view: %w", err)
	}
	v.Ack = latOf(acks)
	return v, nil
}

// measureSingle alternates rounds of raw publishes with an expected
// per-subject sequence and ledger appends (Go API) on one act, and returns
// the median round of each.
func measureSingle(ctx context.Context, e *env, l *ledger.Ledger, n int, always bool) (Rate, error) {
	if always {
		n /= 5
	}
	next, err := setupAct(ctx, l, benchAct(2))
	if err != nil {
		return Rate{}, err
	}
	same, err := sameSingle(ctx, e, next)
	if err != nil {
		return Rate{}, err
	}
	per := max(n/Rounds, 1)
	var raws, sames, leds []float64
	var last uint64
	for r := 0; r < Rounds; r++ {
		start := time.Now()
		for i := 0; i < per; i++ {
			if err := same(); err != nil {
				return Rate{}, err
			}
		}
		sames = append(sames, float64(per)/time.Since(start).Seconds())
		start = time.Now()
		for i := 0; i < per; i++ {
			ack, err := e.js.Publish(ctx, rawPrefix+".single", payload400, jetstream.WithExpectLastSequencePerSubject(last))
			if err != nil {
				return Rate{}, err
			}
			last = ack.Sequence
		}
		raws = append(raws, float64(per)/time.Since(start).Seconds())
		start = time.Now()
		for i := 0; i < per; i++ {
			if _, err := l.Append(ctx, "bench", next()); err != nil {
				return Rate{}, err
			}
		}
		leds = append(leds, float64(per)/time.Since(start).Seconds())
	}
	return Rate{Raw: median(raws), Same: median(sames), Ledger: median(leds)}, nil
}

// measureHTTP drives each number of clients, raw publishes (one subject a
// client, with its expected sequence) and then HTTP appends (one act a
// client), for cfg.Duration each.
func measureHTTP(ctx context.Context, cfg *Config, pr *progress, e *env, l *ledger.Ledger, url string) ([]HTTPRow, error) {
	most := 0
	for _, c := range cfg.Clients {
		most = max(most, c)
	}
	bodies := make([][]byte, most)
	for w := range bodies {
		var err error
		if bodies[w], err = amendmentBody(ctx, l, benchAct(100+w)); err != nil {
			return nil, err
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: most + 8, MaxConnsPerHost: most + 8}}
	defer client.CloseIdleConnections()
	lasts := make([]uint64, most)
	var rows []HTTPRow
	for _, c := range cfg.Clients {
		pr.step(fmt.Sprintf("HTTP appends, %d clients", c))
		raw, err := drive(ctx, c, cfg.Duration, func(w, i int) error {
			ack, err := e.js.Publish(ctx, rawPrefix+".h."+strconv.Itoa(w), payload400, jetstream.WithExpectLastSequencePerSubject(lasts[w]))
			if err == nil {
				lasts[w] = ack.Sequence
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("raw, %d clients: %w", c, err)
		}
		led, err := drive(ctx, c, cfg.Duration, func(w, i int) error {
			_, err := postEvent(ctx, client, url, bodies[w])
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("HTTP, %d clients: %w", c, err)
		}
		rows = append(rows, HTTPRow{Clients: c, Raw: raw, Ledger: led})
	}
	return rows, nil
}
