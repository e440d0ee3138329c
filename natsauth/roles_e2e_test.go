package natsauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/backup"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projector"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testkit.RemoveTools()
	os.Exit(code)
}

// The commands the tests run, built from the versions in go.mod.
const (
	natsServerPkg = "github.com/nats-io/nats-server/v2"
	natscliPkg    = "github.com/nats-io/natscli/nats"
)

// authServer is a nats-server process running a configuration written by
// Generate, and clients logged in as its roles.
type authServer struct {
	t       *testing.T
	url     string
	dir     string // the configuration and the seeds
	users   natsauth.Users
	natscli string
	home    string // natscli's HOME: no saved contexts

	mu         sync.Mutex
	violations map[natsauth.Role][]string // asynchronous errors, by role
}

// startAuthServer generates a configuration (plus extra options) into a
// temporary directory and runs nats-server with it on 127.0.0.1.
func startAuthServer(t *testing.T, o natsauth.Options) *authServer {
	t.Helper()
	dir := t.TempDir()
	o.Port = testkit.FreePort(t)
	o.StoreDir = filepath.Join(dir, "jetstream")
	res, err := natsauth.Generate(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	bin := testkit.Tool(t, "nats-server", natsServerPkg)
	addr := fmt.Sprintf("127.0.0.1:%d", o.Port)
	p := testkit.StartNATSServer(t, bin, res.Config, addr)
	t.Cleanup(func() { p.Terminate(t) })
	scheme := "nats"
	if o.TLSCert != "" {
		scheme = "tls"
	}
	s := &authServer{t: t, url: scheme + "://" + addr, dir: dir, users: res.Users, home: t.TempDir(), violations: map[natsauth.Role][]string{}}
	s.natscli = testkit.Tool(t, "nats", natscliPkg)
	return s
}

// connect logs in as role with nats.go, through natsauth.ClientOptions;
// asynchronous errors (permission violations) are kept by role.
func (s *authServer) connect(role natsauth.Role, caFile string) *nats.Conn {
	s.t.Helper()
	opts, err := natsauth.ClientOptions(natsauth.SeedFile(s.dir, role), caFile)
	if err != nil {
		s.t.Fatal(err)
	}
	opts = append(opts, nats.Name("e2e-"+string(role)), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.violations[role] = append(s.violations[role], err.Error())
	}))
	nc, err := nats.Connect(s.url, opts...)
	if err != nil {
		s.t.Fatalf("connect as %s: %v", role, err)
	}
	s.t.Cleanup(nc.Close)
	return nc
}

// errorsOf returns the asynchronous errors role's connections received.
func (s *authServer) errorsOf(role natsauth.Role) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations[role]...)
}

// nats runs the natscli command as role; the output is stdout and stderr.
func (s *authServer) nats(role natsauth.Role, args ...string) (string, error) {
	s.t.Helper()
	full := append([]string{"--no-context", "--server", s.url, "--nkey", natsauth.SeedFile(s.dir, role),
		"--inbox-prefix", natsauth.InboxPrefix(s.users[role]), "--timeout", "1500ms"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.natscli, full...)
	cmd.Env = append(os.Environ(), "HOME="+s.home, "XDG_CONFIG_HOME="+s.home, "NATS_CONTEXT=", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// lexAPI makes natscli reach the ledger's stream through the imports of
// the role's account.
var lexAPI = []string{"--js-api-prefix", natsjs.StreamAPIPrefix}

// with returns flags followed by args.
func with(flags []string, args ...string) []string {
	return append(append([]string(nil), flags...), args...)
}

// mustNats runs natscli as role and fails the test if it fails.
func (s *authServer) mustNats(role natsauth.Role, args ...string) string {
	s.t.Helper()
	out, err := s.nats(role, args...)
	if err != nil {
		s.t.Fatalf("nats %s as %s: %v\n%s", strings.Join(args, " "), role, err, out)
	}
	return out
}

// denied checks that natscli, as role, was refused a publish on subject:
// the server's permission violation is in its output.
func (s *authServer) denied(role natsauth.Role, subject string, args ...string) {
	s.t.Helper()
	out, _ := s.nats(role, args...)
	want := fmt.Sprintf("Permissions Violation for Publish to %q", subject)
	if !strings.Contains(out, want) {
		s.t.Errorf("nats %s as %s: the output does not say %s\n%s", strings.Join(args, " "), role, want, out)
	}
}

// eventsIn returns the number of messages in the ledger's stream, read
// as admin.
func eventsIn(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natsjs.DefaultStream)
	if err != nil {
		t.Fatalf("stream %s: %v", natsjs.DefaultStream, err)
	}
	return st.CachedInfo().State.Msgs
}

const refugees = "/akn/kz/act/2009-12-04/216" // the Law on Refugees

func command(act, typ, date, body string) string {
	return fmt.Sprintf(`{"event":{"act":%q,"type":%q,"date":%q,"body":%s}}`, act, typ, date, body)
}

// startLedger runs the clerks' service as `ledger serve` does, logged in
// as the ledger role.
func startLedger(t *testing.T, s *authServer) *ledger.Ledger {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc := s.connect(natsauth.RoleLedger, "")
	store, err := natsjs.Open(ctx, nc, natsjs.Config{})
	if err != nil {
		t.Fatalf("the ledger role cannot open the stream: %v", err)
	}
	led := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second})
	callers, err := natsauth.LoadUsers(filepath.Join(s.dir, natsauth.UsersFile))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := natsjs.Serve(nc, led, natsjs.ServiceOptions{Identity: "anonymous@nats", Callers: callers})
	if err != nil {
		t.Fatalf("the ledger role cannot serve %s: %v", natsjs.SubjectRecord, err)
	}
	t.Cleanup(func() {
		svc.Stop()
		led.Close()
	})
	return led
}

// onlyEvents checks that every message in the ledger's stream is an event
// of an unbroken hash chain: nothing but the ledger wrote into it.
func onlyEvents(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := natsjs.OpenForReading(ctx, js.Conn(), natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	v := audit.NewVerifier(nil)
	for raw, err := range store.ReadRaw(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if raw.Err != nil {
			v.Bad(raw.Seq, "", raw.Err)
		} else {
			v.AddRaw(raw.Seq, raw.Act, raw.Data)
		}
	}
	if rep := v.Report(); !rep.OK {
		t.Errorf("the stream holds what is not the ledger's: %+v", rep.Failures[0])
	}
}

// TestRolesOnARealServer runs nats-server with the generated configuration
// and checks each role's rights with the clients they would use: the
// ledger and projector code logged in with their nkeys, and natscli.
func TestRolesOnARealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and natscli and runs them (skipped with -short)")
	}
	s := startAuthServer(t, natsauth.Options{Clerks: []string{"alice"}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin, err := jetstream.New(s.connect(natsauth.RoleAdmin, ""))
	if err != nil {
		t.Fatal(err)
	}
	led := startLedger(t, s)

	t.Run("LedgerRecords", func(t *testing.T) {
		cmds, _, err := ledger.DecodeCommands([]byte(command(refugees, "drafted", "2009-03", `{"title":"Law on Refugees","kind":"law"}`)))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := led.AppendAtomic(ctx, "e2e@test", cmds)
		if err != nil {
			t.Fatalf("the ledger role could not record: %v", err)
		}
		if rs[0].Seq != 1 || eventsIn(t, admin) != 1 {
			t.Errorf("receipt at sequence %d, %d events in the stream; want 1 and 1", rs[0].Seq, eventsIn(t, admin))
		}
	})

	t.Run("ClerkRecordsByCommand", func(t *testing.T) {
		out := s.mustNats(natsauth.RoleClerk, "req", natsjs.SubjectRecord, command(refugees, "adopted", "2009-11", `{"chamber":"Parliament"}`))
		if !strings.Contains(out, `"sequence":2`) || !strings.Contains(out, `"version":2`) {
			t.Fatalf("the clerk's record command got no receipt at sequence 2, version 2:\n%s", out)
		}
		// An atomic batch of two, as one request.
		batch := "[" + command(refugees, "signed", "2009-12-04", `{"signatory":"President"}`) + "," +
			command(refugees, "published", "2009-12-04", `{"gazette":"Kazakhstanskaya Pravda"}`) + "]"
		out = s.mustNats(natsauth.RoleClerk, "req", natsjs.SubjectRecord, batch)
		if !strings.Contains(out, `"sequence":4`) {
			t.Fatalf("the clerk's batch got no receipt at sequence 4:\n%s", out)
		}
		if n := eventsIn(t, admin); n != 4 {
			t.Errorf("%d events in the stream after the clerk's commands, want 4", n)
		}
		// The server told the service who sent them (Nats-Request-Info on
		// the clients' import), and users.json named the key.
		recs, err := led.History(ctx, refugees)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			if r.Event.RecordedBy != "clerk@nats" {
				t.Errorf("event %d recorded by %q, want clerk@nats", r.Seq, r.Event.RecordedBy)
			}
		}
	})

	t.Run("ClerkCannotChangeTheStream", func(t *testing.T) {
		s.denied(natsauth.RoleClerk, "lex.events.kz.act.2009-12-04.216", "pub", "lex.events.kz.act.2009-12-04.216", `{"forged":true}`)
		// natscli looks the stream up first, which the clerk may not either.
		for _, args := range [][]string{{"stream", "purge", "LEX", "-f"}, {"stream", "rm", "LEX", "-f"}} {
			out, err := s.nats(natsauth.RoleClerk, args...)
			if err == nil || !strings.Contains(out, "Permissions Violation for Publish to \"$JS.API.") {
				t.Errorf("nats %s as clerk: %v, want a failure on a permission violation\n%s", strings.Join(args, " "), err, out)
			}
		}
		// The API requests themselves, as they would be sent.
		s.denied(natsauth.RoleClerk, "$JS.API.STREAM.PURGE.LEX", "req", "$JS.API.STREAM.PURGE.LEX", "")
		s.denied(natsauth.RoleClerk, "$JS.API.STREAM.DELETE.LEX", "req", "$JS.API.STREAM.DELETE.LEX", "")
		if n := eventsIn(t, admin); n != 4 {
			t.Errorf("%d events in the stream after the clerk's attempts, want the same 4", n)
		}
	})

	t.Run("OnlyTheLedgerClaimsIDs", func(t *testing.T) {
		// The ledger claimed the id of each event it wrote, in LEX_IDS.
		ids, err := admin.Stream(ctx, natsjs.DefaultIDStream)
		if err != nil {
			t.Fatalf("stream %s: %v", natsjs.DefaultIDStream, err)
		}
		before := ids.CachedInfo().State.Msgs
		if before < 4 {
			t.Errorf("%s holds %d messages after four events, want at least 4", natsjs.DefaultIDStream, before)
		}
		recs, err := led.History(ctx, refugees)
		if err != nil {
			t.Fatal(err)
		}
		id := recs[0].Event.ID.String()
		claim := natsjs.DefaultIDPrefix + "." + events.NewID().String()
		for _, role := range []natsauth.Role{natsauth.RoleClerk, natsauth.RoleSubscriber, natsauth.RoleAuditor, natsauth.RoleProjector} {
			s.denied(role, claim, "pub", claim, `{"forged":true}`)
		}
		for _, op := range []string{"PURGE", "DELETE", "MSG.DELETE", "UPDATE"} {
			subj := "$JS.API.STREAM." + op + "." + natsjs.DefaultIDStream
			s.denied(natsauth.RoleLedger, subj, "req", subj, "")
		}
		// A clerk who reuses an id on another act is refused, naming the
		// event that has it.
		reuse := fmt.Sprintf(`{"event":{"id":%q,"act":"/akn/kz/act/2010-01-01/9","type":"drafted","date":"2009-10","body":{"title":"Another","kind":"law"}}}`, id)
		out, _ := s.nats(natsauth.RoleClerk, "req", natsjs.SubjectRecord, reuse)
		if !strings.Contains(out, `"rule":"id_used"`) || !strings.Contains(out, refugees) {
			t.Errorf("the clerk's command reusing id %s on another act was not refused as id_used naming %s:\n%s", id, refugees, out)
		}
		if info, err := ids.Info(ctx); err != nil || info.State.Msgs != before {
			t.Errorf("%s after the refused attempts: %v, %d messages, want the same %d", natsjs.DefaultIDStream, err, info.State.Msgs, before)
		}
		if n := eventsIn(t, admin); n != 4 {
			t.Errorf("%d events in the stream after the refused command, want the same 4", n)
		}
	})

	t.Run("SubscriberCannotPublishEvents", func(t *testing.T) {
		for _, args := range [][]string{
			{"pub", "lex.events.kz.act.2009-12-04.216", `{"forged":true}`},
			{"pub", "--jetstream", "lex.events.kz.act.2009-12-04.216", `{"forged":true}`},
		} {
			out, err := s.nats(natsauth.RoleSubscriber, args...)
			if err == nil {
				t.Errorf("nats %s as subscriber exited 0\n%s", strings.Join(args, " "), out)
			}
			if !strings.Contains(out, `Permissions Violation for Publish to "lex.events.kz.act.2009-12-04.216"`) {
				t.Errorf("nats %s as subscriber does not report the violation:\n%s", strings.Join(args, " "), out)
			}
		}
		// nats.go sees the same violation asynchronously, not as Publish's error.
		nc := s.connect(natsauth.RoleSubscriber, "")
		if err := nc.Publish("lex.events.kz.act.2009-12-04.216", []byte(`{"forged":true}`)); err != nil {
			t.Fatal(err)
		}
		nc.Flush()
		deadline := time.Now().Add(5 * time.Second)
		for len(s.errorsOf(natsauth.RoleSubscriber)) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if errs := s.errorsOf(natsauth.RoleSubscriber); len(errs) == 0 || !strings.Contains(errs[0], "Permissions Violation") {
			t.Errorf("the subscriber's connection got errors %v, want a permissions violation", errs)
		}
		if n := eventsIn(t, admin); n != 4 {
			t.Errorf("%d events in the stream after the subscriber's publishes, want the same 4", n)
		}
	})

	t.Run("SubscriberReads", func(t *testing.T) {
		nc := s.connect(natsauth.RoleSubscriber, "")
		recorded, err := nc.SubscribeSync(natsjs.RecordedPrefix + ".>")
		if err != nil {
			t.Fatal(err)
		}
		nc.Flush()
		store, err := natsjs.OpenForReading(ctx, nc, natsjs.Config{})
		if err != nil {
			t.Fatalf("the subscriber cannot open the stream for reading: %v", err)
		}
		var n int
		for st, err := range store.Read(ctx, natsjs.Position{Seq: 1}) {
			if err != nil {
				t.Fatalf("the subscriber's replay (ordered consumer) failed: %v", err)
			}
			if st.Event.Act != refugees {
				t.Errorf("replayed an event of %s, want %s", st.Event.Act, refugees)
			}
			n++
		}
		if n != 4 {
			t.Errorf("the subscriber replayed %d events, want 4", n)
		}
		commenced := fmt.Sprintf(`{"event":{"act":%q,"type":"commenced","date":"2009-12-04","effective_from":"2009-12-04"}}`, refugees)
		if out := s.mustNats(natsauth.RoleClerk, "req", natsjs.SubjectRecord, commenced); !strings.Contains(out, `"sequence":5`) {
			t.Fatalf("the clerk's record command got no receipt at sequence 5:\n%s", out)
		}
		m, err := recorded.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("the subscriber saw nothing on %s.> after a record: %v", natsjs.RecordedPrefix, err)
		}
		if !strings.HasPrefix(m.Subject, natsjs.RecordedPrefix+".kz.") {
			t.Errorf("republished on %s, want %s.kz.…", m.Subject, natsjs.RecordedPrefix)
		}
	})

	t.Run("AuditorReadsButCannotRecord", func(t *testing.T) {
		before := eventsIn(t, admin)
		s.denied(natsauth.RoleAuditor, natsjs.SubjectRecord, "req", natsjs.SubjectRecord, command(refugees, "repealed", "2010-01-01", `{}`))
		if n := eventsIn(t, admin); n != before {
			t.Errorf("%d events after the auditor's record command, want the same %d", n, before)
		}
		var info struct {
			State struct {
				Messages uint64 `json:"messages"`
			} `json:"state"`
		}
		out := s.mustNats(natsauth.RoleAuditor, with(lexAPI, "stream", "info", "LEX", "--json")...)
		if err := json.Unmarshal([]byte(out), &info); err != nil || info.State.Messages != before {
			t.Errorf("nats stream info as auditor: %d messages (%v), want %d\n%s", info.State.Messages, err, before, out)
		}
		out = s.mustNats(natsauth.RoleAuditor, with(lexAPI, "stream", "get", "LEX", "2")...)
		if !strings.Contains(out, `"type":"adopted"`) {
			t.Errorf("nats stream get LEX 2 as auditor does not show the adoption:\n%s", out)
		}
		out = s.mustNats(natsauth.RoleAuditor, "req", natsjs.SubjectHistory, refugees)
		if !strings.Contains(out, `"published"`) {
			t.Errorf("the auditor's history request does not list the publication:\n%s", out)
		}
		// Readers read with direct gets; they may not create consumers on
		// the stream (a consumer delivers in the ledger's account).
		if out, err := s.nats(natsauth.RoleAuditor, with(lexAPI, "sub", "--stream", "LEX", "--all", "--count", "2", "lex.events.>")...); err == nil ||
			!strings.Contains(out, "Permissions Violation for Publish to \""+natsjs.StreamAPIPrefix+".CONSUMER.CREATE.LEX") {
			t.Errorf("nats sub --stream LEX as auditor: %v, want a refused consumer create\n%s", err, out)
		}
		s.denied(natsauth.RoleAuditor, natsjs.StreamAPIPrefix+".STREAM.PURGE.LEX", with(lexAPI, "stream", "purge", "LEX", "-f")...)
	})

	t.Run("ProjectorBuildsItsViews", func(t *testing.T) {
		nc := s.connect(natsauth.RoleProjector, "")
		subNC := s.connect(natsauth.RoleSubscriber, "")
		changes, err := subNC.SubscribeSync(natsjs.ChangesPrefix + ".>")
		if err != nil {
			t.Fatal(err)
		}
		subNC.Flush()
		store, err := natsjs.Open(ctx, nc, natsjs.Config{})
		if err != nil {
			t.Fatalf("the projector role cannot open the stream: %v", err)
		}
		views, err := natsjs.OpenViews(ctx, nc, 1)
		if err != nil {
			t.Fatalf("the projector role cannot create its views: %v", err)
		}
		kp, err := audit.GenerateSigner(audit.DefaultOrigin)
		if err != nil {
			t.Fatal(err)
		}
		proj := projector.New(store, views, projector.Options{Feed: true, SnapshotEvery: 1, Signer: kp})
		if err := proj.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		pctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- proj.Run(pctx) }()
		defer func() {
			stop()
			<-done
		}()
		if _, err := proj.WaitFor(ctx, eventsIn(t, admin)); err != nil {
			t.Fatalf("the projector did not catch up: %v", err)
		}
		// The feed publishes what changes once the projector has caught up.
		const law = "/akn/kz/act/2010-01-01/1"
		out := s.mustNats(natsauth.RoleClerk, "req", natsjs.SubjectRecord, command(law, "drafted", "2009-10", `{"title":"A later law","kind":"law"}`))
		if !strings.Contains(out, `"sequence":6`) {
			t.Fatalf("the clerk's record command got no receipt at sequence 6:\n%s", out)
		}
		last := eventsIn(t, admin)
		if _, err := proj.WaitFor(ctx, last); err != nil {
			t.Fatalf("the projector did not reach sequence %d: %v", last, err)
		}
		if _, err := proj.Checkpoint(ctx); err != nil {
			t.Errorf("the projector could not sign and publish a checkpoint: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		var state []byte
		for time.Now().Before(deadline) {
			if state, err = views.State(ctx, events.ActID(law)); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(string(state), law) {
			t.Errorf("the state bucket holds %q for the act (%v), want its state", state, err)
		}
		if _, err := changes.NextMsg(10 * time.Second); err != nil {
			t.Errorf("the subscriber saw no change notice from the projector: %v", err)
		}
		if err := views.SaveSnapshot(ctx, "e2e", last, func(w io.Writer) error {
			_, err := w.Write([]byte("snapshot"))
			return err
		}); err != nil {
			t.Errorf("the projector role cannot write the snapshot store: %v", err)
		}
		if cps, err := views.Checkpoints(ctx); err != nil || len(cps) == 0 {
			t.Errorf("the checkpoints stream holds %d checkpoints (%v), want the one signed", len(cps), err)
		}
		s.denied(natsauth.RoleProjector, "lex.events.kz.act.2009-12-04.216", "pub", "lex.events.kz.act.2009-12-04.216", `{"forged":true}`)
		update := natsjs.StreamAPIPrefix + ".STREAM.UPDATE.LEX"
		s.denied(natsauth.RoleProjector, update, "req", update, `{"name":"LEX","subjects":["lex.events.>"],"description":"forged"}`)
		if n := eventsIn(t, admin); n != last {
			t.Errorf("%d events after the projector's attempts, want the same %d", n, last)
		}
	})

	t.Run("ProjectorBacksUpAndRestoresItsCheckpoints", func(t *testing.T) {
		// The checkpoints are in the projector's account, where admin is
		// not: the projector backs them up, and restores them into a new
		// server's projector account.
		dir := filepath.Join(t.TempDir(), "checkpoints")
		o := backup.Options{Stream: natsjs.CheckpointsStream}
		m, err := backup.Backup(ctx, s.connect(natsauth.RoleProjector, ""), dir, o)
		if err != nil || m.Messages == 0 {
			t.Fatalf("the projector's backup of %s: %+v, %v; want its checkpoints", natsjs.CheckpointsStream, m, err)
		}
		s2 := startAuthServer(t, natsauth.Options{})
		r, err := backup.Restore(ctx, s2.connect(natsauth.RoleProjector, ""), dir, o)
		if err != nil || r.Messages != m.Messages {
			t.Errorf("the projector's restore of %s into a new server: %+v, %v; want %d messages", natsjs.CheckpointsStream, r, err, m.Messages)
		}
		if errs := s2.errorsOf(natsauth.RoleProjector); len(errs) > 0 {
			t.Errorf("the projector's restore met refusals: %v", errs)
		}
	})

	t.Run("ProjectorsViewsCannotReachEvents", func(t *testing.T) {
		// A stream that republishes onto lex.events.> would write into the
		// ledger's stream if they shared an account. The projector may
		// reconfigure its views (their replicas, say), and one that
		// republishes there adds nothing to LEX: its account has no LEX.
		js, err := jetstream.New(s.connect(natsauth.RoleProjector, ""))
		if err != nil {
			t.Fatal(err)
		}
		before := eventsIn(t, admin)
		st, err := js.Stream(ctx, natsjs.NoticesStream)
		if err != nil {
			t.Fatal(err)
		}
		orig := st.CachedInfo().Config
		cfg := orig
		cfg.RePublish = &jetstream.RePublish{Source: natsjs.NoticesPrefix + ".>", Destination: natsjs.DefaultPrefix + ".>"}
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatalf("the projector could not reconfigure its notices stream: %v", err)
		}
		defer func() {
			if _, err := js.UpdateStream(ctx, orig); err != nil {
				t.Errorf("restore the notices stream: %v", err)
			}
		}()
		if _, err := js.Publish(ctx, natsjs.NoticesPrefix+".kz.act.2009-12-04.216", []byte(`{"forged":true}`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if n := eventsIn(t, admin); n != before {
			t.Errorf("%d events after the projector's notice was republished into lex.events.>, want the same %d", n, before)
		}
		// It may not delete them: projectors replay into views, not make
		// them disappear under the readers.
		s.denied(natsauth.RoleProjector, "$JS.API.STREAM.DELETE."+natsjs.NoticesStream, "req", "$JS.API.STREAM.DELETE."+natsjs.NoticesStream, "")
	})

	t.Run("ReadersCreateNoConsumers", func(t *testing.T) {
		// A consumer delivers to a subject of its creator's choosing in the
		// account of its stream, where the ledger's service, a projector's
		// replay and the checkpoints listen: readers may create none, on
		// the stream or the views, and their account imports no such API.
		nc := s.connect(natsauth.RoleSubscriber, "")
		for _, c := range []struct{ prefix, stream, deliver string }{
			{natsjs.StreamAPIPrefix, natsjs.DefaultStream, natsjs.SubjectRecord},
			{natsjs.StreamAPIPrefix, natsjs.DefaultStream, natsjs.CheckpointsSubject},
			{natsjs.ViewsAPIPrefix, "KV_" + natsjs.StateBucket, natsjs.CheckpointsSubject},
			{natsjs.ViewsAPIPrefix, natsjs.CheckpointsStream, natsjs.CheckpointsSubject},
		} {
			js, err := jetstream.NewWithAPIPrefix(nc, c.prefix)
			if err != nil {
				t.Fatal(err)
			}
			cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = js.CreateOrUpdatePushConsumer(cctx, c.stream, jetstream.ConsumerConfig{Name: "inject",
				DeliverSubject: c.deliver, AckPolicy: jetstream.AckNonePolicy})
			ccancel()
			if err == nil {
				t.Errorf("the subscriber created a push consumer on %s delivering to %s", c.stream, c.deliver)
			}
		}
		want := "Permissions Violation for Publish to \"" + natsjs.StreamAPIPrefix + ".CONSUMER.CREATE." + natsjs.DefaultStream
		if !slices.ContainsFunc(s.errorsOf(natsauth.RoleSubscriber), func(e string) bool { return strings.Contains(e, want) }) {
			t.Errorf("the subscriber's consumer creates were not refused by permission; its errors: %v", s.errorsOf(natsauth.RoleSubscriber))
		}
	})

	t.Run("MicroServiceDiscovery", func(t *testing.T) {
		out := s.mustNats(natsauth.RoleAdmin, "micro", "ls")
		if !strings.Contains(out, natsjs.ServiceName) || !strings.Contains(out, natsjs.ServiceVersion) {
			t.Errorf("nats micro ls as admin does not list %s %s:\n%s", natsjs.ServiceName, natsjs.ServiceVersion, out)
		}
		out = s.mustNats(natsauth.RoleAdmin, "micro", "stats", natsjs.ServiceName, "--json")
		var stats []struct {
			Endpoints []struct {
				Name     string `json:"name"`
				Requests int    `json:"num_requests"`
			} `json:"endpoints"`
		}
		if err := json.Unmarshal([]byte(out), &stats); err != nil || len(stats) != 1 {
			t.Fatalf("nats micro stats --json as admin: %v\n%s", err, out)
		}
		requests := map[string]int{}
		for _, e := range stats[0].Endpoints {
			requests[e.Name] = e.Requests
		}
		// Five record requests reached it from the clerk (one reusing an
		// id; the auditor's was stopped by the server), one history
		// request from the auditor.
		if requests["record"] != 5 || requests["history"] != 1 {
			t.Errorf("the service counts %v requests, want record 5 and history 1\n%s", requests, out)
		}
		// The service framework answers discovery on any reply subject:
		// only admin may ask.
		for _, role := range []natsauth.Role{natsauth.RoleClerk, natsauth.RoleAuditor, natsauth.RoleSubscriber} {
			s.denied(role, "$SRV.INFO", "micro", "ls")
		}
	})

	t.Run("InboxesAreNotShared", func(t *testing.T) {
		// A clerk may not read the replies meant for others.
		nc := s.connect(natsauth.RoleClerk, "")
		if _, err := nc.SubscribeSync("_INBOX.>"); err != nil {
			t.Fatal(err)
		}
		nc.Flush()
		want := `Permissions Violation for Subscription to "_INBOX.>"`
		deadline := time.Now().Add(5 * time.Second)
		for !slices.ContainsFunc(s.errorsOf(natsauth.RoleClerk), func(e string) bool { return strings.Contains(e, want) }) {
			if time.Now().After(deadline) {
				t.Fatalf("the clerk's subscription to every inbox was not refused; its errors: %v", s.errorsOf(natsauth.RoleClerk))
			}
			time.Sleep(20 * time.Millisecond)
		}
		// Its own inbox works: requests are answered.
		m, err := nc.Request(natsjs.SubjectHistory, []byte(refugees), 10*time.Second)
		if err != nil || !strings.Contains(string(m.Data), `"signed"`) {
			t.Errorf("the clerk's history request from its own inbox: %v", err)
		}
	})

	t.Run("RepliesNeverLandInTheStream", func(t *testing.T) {
		// A requester chooses the reply subject. From the clients' account
		// the answers go back there, where nothing stores lex.events.>: the
		// command is recorded, its receipt is not.
		before := eventsIn(t, admin)
		subject := "lex.events.kz.act.2009-12-04.216"
		s.mustNats(natsauth.RoleClerk, "pub", natsjs.SubjectRecord, "--reply", subject,
			command("/akn/kz/act/2010-01-01/2", "drafted", "2009-10", `{"title":"Another law","kind":"law"}`))
		s.mustNats(natsauth.RoleClerk, "pub", natsjs.SubjectHistory, "--reply", subject, refugees)
		s.denied(natsauth.RoleAuditor, "$SRV.PING", "pub", "$SRV.PING", "--reply", subject, "")
		deadline := time.Now().Add(5 * time.Second)
		for eventsIn(t, admin) < before+1 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		if n := eventsIn(t, admin); n != before+1 {
			t.Errorf("%d messages after a record and a history request with %s as their reply subject, want %d (the one event)", n, subject, before+1)
		}
		onlyEvents(t, admin)
	})

	t.Run("JetStreamAnswersNeverLandInTheStream", func(t *testing.T) {
		// JetStream answers an API request on the reply subject its
		// requester chose. A reader's stream info, or the projector's direct
		// get of a state it wrote itself, would land in the stream if they
		// shared its account; through the imports the answers go back to
		// the requester's account.
		before := eventsIn(t, admin)
		subject := "lex.events.kz.act.2009-12-04.216"
		s.mustNats(natsauth.RoleSubscriber, "pub", natsjs.StreamAPIPrefix+".STREAM.INFO.LEX", "--reply", subject, "")
		s.mustNats(natsauth.RoleSubscriber, "pub", natsjs.ViewsAPIPrefix+".DIRECT.GET.KV_"+natsjs.StateBucket+".$KV."+natsjs.StateBucket+".kz.act.2010-01-01.1",
			"--reply", subject, "")
		// A batched direct get is not imported: its size is the
		// requester's, and the server answers it holding the stream's writes.
		s.denied(natsauth.RoleSubscriber, natsjs.StreamAPIPrefix+".DIRECT.GET.LEX", "req", natsjs.StreamAPIPrefix+".DIRECT.GET.LEX", `{"seq":1,"batch":1000000}`)
		s.mustNats(natsauth.RoleProjector, "pub", "$JS.API.DIRECT.GET.KV_"+natsjs.StateBucket, "--reply", subject,
			`{"last_by_subj":"$KV.`+natsjs.StateBucket+`.kz.act.2010-01-01.1"}`)
		s.mustNats(natsauth.RoleProjector, "pub", natsjs.StreamAPIPrefix+".STREAM.INFO.LEX", "--reply", subject, "")
		// The clients' account has no JetStream API of its own to ask.
		s.denied(natsauth.RoleSubscriber, "$JS.API.STREAM.INFO.LEX", "pub", "$JS.API.STREAM.INFO.LEX", "--reply", subject, "")
		// And the answers do reach a requester that waits for them.
		out := s.mustNats(natsauth.RoleSubscriber, "req", natsjs.StreamAPIPrefix+".STREAM.INFO.LEX", "")
		if !strings.Contains(out, `"name":"LEX"`) {
			t.Errorf("the subscriber's stream info through the import has no stream LEX:\n%s", out)
		}
		time.Sleep(time.Second)
		if n := eventsIn(t, admin); n != before {
			t.Errorf("%d messages after four JetStream answers sent to %s, want the same %d", n, subject, before)
		}
		onlyEvents(t, admin)
	})

	t.Run("NamedClerkRecordsByName", func(t *testing.T) {
		// A named clerk, with a seed of her own, is recorded by her name.
		opts, err := natsauth.ClientOptions(natsauth.ClerkSeedFile(s.dir, "alice"), "")
		if err != nil {
			t.Fatal(err)
		}
		alice, err := nats.Connect(s.url, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer alice.Close()
		const other = "/akn/kz/act/2009-01-01/1"
		m, err := alice.Request(natsjs.SubjectRecord, []byte(command(other, "drafted", "2008-10", `{"title":"Alice's law","kind":"law"}`)), 10*time.Second)
		if err != nil || !strings.Contains(string(m.Data), `"version":1`) {
			t.Fatalf("alice's record command: %v, want a receipt", err)
		}
		if recs, err := led.History(ctx, other); err != nil || len(recs) != 1 || recs[0].Event.RecordedBy != "alice@nats" {
			t.Errorf("alice's event: %v; want one event recorded by alice@nats, got %+v", err, recs)
		}
	})

	t.Run("WatchersNoticeAnEditedStream", func(t *testing.T) {
		// The ledger hears the advisories of its stream; the projector
		// reads the stream's info through its import, and hears the
		// advisories of its own views. An hour between checks: what is
		// noticed is noticed by advisory, except the projector's view of
		// the ledger's stream, which only its periodic check can see.
		watch := func(nc *nats.Conn, interval time.Duration, views bool) *natsjs.Watcher {
			store, err := natsjs.Open(ctx, nc, natsjs.Config{})
			if err != nil {
				t.Fatal(err)
			}
			w := natsjs.NewWatcher(natsjs.WatchOptions{Interval: interval})
			if err := w.WatchStore(ctx, store); err != nil {
				t.Fatalf("watch the stream: %v", err)
			}
			if views {
				v, err := natsjs.OpenViews(ctx, nc, 1)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.WatchViews(ctx, v); err != nil {
					t.Fatalf("watch the views: %v", err)
				}
			}
			wctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- w.Run(wctx) }()
			t.Cleanup(func() { stop(); <-done })
			return w
		}
		ledgerW := watch(s.connect(natsauth.RoleLedger, ""), time.Hour, false)
		projNC := s.connect(natsauth.RoleProjector, "")
		projW := watch(projNC, 100*time.Millisecond, true)
		viewW := watch(projNC, time.Hour, true)
		weakened := func(w *natsjs.Watcher, stream, want string) {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for {
				err := w.Err()
				if err != nil && strings.Contains(err.Error(), "stream "+stream+" was changed") && strings.Contains(err.Error(), want) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("not noticed within 20s that %s has %s: %v", stream, want, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		restored := func(w *natsjs.Watcher) {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for w.Err() != nil {
				if time.Now().After(deadline) {
					t.Fatalf("not seen restored within 20s: %v", w.Err())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		s.mustNats(natsauth.RoleAdmin, "stream", "edit", "LEX", "--max-age", "1h", "-f")
		weakened(ledgerW, "LEX", "max_age 1h")
		weakened(projW, "LEX", "max_age 1h")
		s.mustNats(natsauth.RoleAdmin, "stream", "edit", "LEX", "--max-age", "0", "-f")
		restored(ledgerW)
		restored(projW)

		// natscli asks before editing a bucket's stream: the projector's
		// own client edits it (its role may: its views are its own).
		kv := "KV_" + natsjs.StateBucket
		pjs, err := jetstream.New(projNC)
		if err != nil {
			t.Fatal(err)
		}
		st, err := pjs.Stream(ctx, kv)
		if err != nil {
			t.Fatal(err)
		}
		orig := st.CachedInfo().Config
		weak := orig
		weak.MaxAge = time.Hour
		if _, err := pjs.UpdateStream(ctx, weak); err != nil {
			t.Fatal(err)
		}
		weakened(viewW, kv, "max_age is 1h0m0s")
		if _, err := pjs.UpdateStream(ctx, orig); err != nil {
			t.Fatal(err)
		}
		restored(viewW)
	})

	t.Run("OnlyAdminChangesTheStream", func(t *testing.T) {
		s.denied(natsauth.RoleLedger, "$JS.API.STREAM.UPDATE.LEX", "stream", "edit", "LEX", "--description", "edited", "-f")
		// The other accounts import no update: natscli, or the request itself.
		update := natsjs.StreamAPIPrefix + ".STREAM.UPDATE.LEX"
		for _, role := range []natsauth.Role{natsauth.RoleProjector, natsauth.RoleSubscriber} {
			if out, err := s.nats(role, with(lexAPI, "stream", "edit", "LEX", "--description", "edited", "-f")...); err == nil {
				t.Errorf("nats stream edit LEX as %s succeeded:\n%s", role, out)
			}
			s.denied(role, update, "req", update, `{"name":"LEX","subjects":["lex.events.>"],"description":"edited"}`)
		}
		s.mustNats(natsauth.RoleAdmin, "stream", "edit", "LEX", "--description", "edited by admin", "-f")
		st, err := admin.Stream(ctx, "LEX")
		if err != nil || st.CachedInfo().Config.Description != "edited by admin" {
			t.Fatalf("admin's edit did not change the description: %v", err)
		}
		// The stream itself refuses a purge (deny_purge), even to admin: the
		// request reaches JetStream, which answers.
		out, err := s.nats(natsauth.RoleAdmin, "stream", "purge", "LEX", "-f")
		if err == nil || strings.Contains(out, "Permissions Violation") || !strings.Contains(out, "stream purge not permitted (10110)") {
			t.Errorf("nats stream purge as admin: %v, want JetStream's refusal (deny_purge), not a permission violation\n%s", err, out)
		}
		before := eventsIn(t, admin)
		s.denied(natsauth.RoleLedger, "$JS.API.STREAM.DELETE.LEX", "stream", "rm", "LEX", "-f")
		if eventsIn(t, admin) != before {
			t.Fatal("the stream changed after the ledger's delete")
		}
		s.mustNats(natsauth.RoleAdmin, "stream", "rm", "LEX", "-f")
		if _, err := admin.Stream(ctx, "LEX"); err == nil {
			t.Error("the stream is still there after admin's nats stream rm")
		}
	})

	// The ledger's and the projector's connections needed nothing they were
	// not given: no permission violation reached them.
	for _, role := range []natsauth.Role{natsauth.RoleLedger, natsauth.RoleProjector} {
		if errs := s.errorsOf(role); len(errs) > 0 {
			t.Errorf("the %s role's connections saw %d asynchronous errors, such as %s", role, len(errs), errs[0])
		}
	}
}

// TestTLSWithNkey connects the ledger's code over TLS, trusting a CA made
// by the test, and checks that a client that does not trust it is refused.
func TestTLSWithNkey(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs it (skipped with -short)")
	}
	certs := t.TempDir()
	testkit.WriteTLS(t, certs)
	s := startAuthServer(t, natsauth.Options{TLSCert: filepath.Join(certs, "server.pem"), TLSKey: filepath.Join(certs, "server-key.pem")})
	nc := s.connect(natsauth.RoleLedger, filepath.Join(certs, "ca.pem"))
	if !nc.TLSRequired() {
		t.Error("the connection is not over TLS")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := natsjs.Open(ctx, nc, natsjs.Config{}); err != nil {
		t.Fatalf("the ledger cannot create its stream over TLS: %v", err)
	}
	opts, err := natsauth.ClientOptions(natsauth.SeedFile(s.dir, natsauth.RoleLedger), "")
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(s.url, opts...); err == nil {
		nc.Close()
		t.Error("a client that does not trust the test CA connected")
	}
	plain := strings.Replace(s.url, "tls://", "nats://", 1)
	if nc, err := nats.Connect(plain, opts...); err == nil {
		nc.Close()
		t.Errorf("a plain connection to %s was accepted", plain)
	}
	out, err := s.nats(natsauth.RoleAuditor, with(lexAPI, "--tlsca", filepath.Join(certs, "ca.pem"), "stream", "info", "LEX", "--json")...)
	if err != nil || !strings.Contains(out, `"name": "LEX"`) {
		t.Errorf("natscli as auditor over TLS: %v\n%s", err, out)
	}
}

// TestClientOptionsErrors: a wrong file is reported before connecting,
// with what to give instead.
func TestClientOptionsErrors(t *testing.T) {
	dir := t.TempDir()
	notSeed := filepath.Join(dir, "not.nk")
	os.WriteFile(notSeed, []byte("hello\n"), 0o600)
	kp, _ := nkeys.CreateAccount()
	accSeed, _ := kp.Seed()
	account := filepath.Join(dir, "account.nk")
	os.WriteFile(account, accSeed, 0o600)
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for _, c := range []struct {
		name, seed, ca, want string
	}{
		{"missing seed", filepath.Join(dir, "missing.nk"), "", "ledger nats-config"},
		{"not a seed", notSeed, "", "does not hold an nkey seed"},
		{"account seed", account, "", "no user seed"},
		{"missing CA", "", filepath.Join(dir, "missing.pem"), "PEM file of the CA"},
		{"not a CA", "", notPEM, "holds no PEM certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := natsauth.ClientOptions(c.seed, c.ca)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error that says %q", err, c.want)
			}
		})
	}
	if opts, err := natsauth.ClientOptions("", ""); err != nil || len(opts) != 0 {
		t.Errorf("no files: %d options, %v; want none and no error", len(opts), err)
	}
}
