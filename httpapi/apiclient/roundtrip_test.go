package apiclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/httpapi/apiclient"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

const (
	refugees = "/akn/kz/act/2009-12-04/216"      // recorded without a text
	notaries = "/akn/kz/act/2010-12-01/notaries" // recorded with structure
	unknown  = "/akn/kz/act/2010-12-01/999"      // never recorded
)

// mustServe runs what `ledger serve` runs, on a real embedded JetStream
// (t.TempDir() storage): the ledger's API and a projector's queries on one
// mux, on an httptest server, until the test ends. It returns a generated
// client of it.
func mustServe(t *testing.T) *apiclient.ClientWithResponses {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc := projector.New(env.Store, views, projector.Options{Feed: true})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()

	mux := http.NewServeMux()
	(&httpapi.Server{Ledger: l, Stream: env.Store}).Routes(mux)
	(&httpapi.Queries{Projector: svc}).Routes(mux)
	mux.HandleFunc("/", httpapi.NotFound)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.Close()
		stop()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("the projector did not stop within 30s of its cancellation")
		}
	})

	c, err := apiclient.NewClientWithResponses(hs.URL, apiclient.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func day(s string) *openapi_types.Date {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &openapi_types.Date{Time: d}
}

// post records one command and returns its receipt, failing the test
// unless the answer is 201.
func post(t *testing.T, c *apiclient.ClientWithResponses, cmd apiclient.Command) apiclient.Receipt {
	t.Helper()
	var body apiclient.Record
	if err := body.FromCommand(cmd); err != nil {
		t.Fatal(err)
	}
	resp, err := c.PostV1EventsWithResponse(context.Background(), body)
	if err != nil {
		t.Fatalf("POST /v1/events %s: %v", cmd.Event.Type, err)
	}
	if resp.JSON201 == nil {
		t.Fatalf("POST /v1/events %s: %d %s, want 201 with a receipt", cmd.Event.Type, resp.StatusCode(), resp.Body)
	}
	r, err := resp.JSON201.AsReceipt()
	if err != nil {
		t.Fatalf("the answer to one command is not a receipt: %v: %s", err, resp.Body)
	}
	return r
}

// recordNotaries records, through the client, a law with a text of two
// articles (one batch: adopted and commenced), then an amendment of words
// of its art_2 in effect from 2011-02-01, and returns the last receipt.
func recordNotaries(t *testing.T, c *apiclient.ClientWithResponses) apiclient.Receipt {
	t.Helper()
	batch := []apiclient.Command{
		{ExpectedVersion: ptr(0), Event: apiclient.NewEvent{Act: notaries, Type: apiclient.EventTypeAdopted, Date: "2010-12-01",
			Body: &apiclient.Body{Title: ptr("Law on Notaries"), Kind: ptr(apiclient.Law), Structure: &[]apiclient.TextNode{
				{Eid: "art_1", Num: ptr("1"), Heading: ptr("Notaries"), Text: ptr("A notary certifies deeds.")},
				{Eid: "art_2", Num: ptr("2"), Heading: ptr("Fees"), Text: ptr("A notary charges the fee set by the Ministry of Justice.")},
			}}}},
		{Event: apiclient.NewEvent{Act: notaries, Type: apiclient.EventTypeCommenced, Date: "2011-01-01", EffectiveFrom: ptr("2011-01-01")}},
	}
	var body apiclient.Record
	if err := body.FromBatch(batch); err != nil {
		t.Fatal(err)
	}
	resp, err := c.PostV1EventsWithResponse(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON201 == nil {
		t.Fatalf("POST /v1/events, a batch: %d %s, want 201", resp.StatusCode(), resp.Body)
	}
	rs, err := resp.JSON201.AsReceipts()
	if err != nil {
		t.Fatalf("the answer to a batch is not an array of receipts: %v: %s", err, resp.Body)
	}
	if len(rs) != 2 || rs[0].Version != 1 || rs[1].Version != 2 || rs[1].Type != apiclient.EventTypeCommenced {
		t.Fatalf("the batch's receipts are %+v, want versions 1 and 2, adopted then commenced", rs)
	}
	return post(t, c, apiclient.Command{Event: apiclient.NewEvent{Act: notaries, Type: apiclient.EventTypeAmended, Date: "2011-01-20",
		EffectiveFrom: ptr("2011-02-01"), Instrument: ptr("/akn/kz/act/2011-01-15/310"),
		Body: &apiclient.Body{Effect: ptr(apiclient.BodyEffectSubstitution), Changes: &[]apiclient.TextChange{
			{Op: apiclient.TextChangeOpSubstitute, Target: "art_2", Words: ptr("the Ministry of Justice"), With: ptr("the Chamber of Notaries"), Source: ptr("art_1")},
		}}}})
}

// TestRoundTrip records and reads through the generated client only,
// against a real server, and checks the decoded answers field by field:
// what the document says the server answers is what it answers.
func TestRoundTrip(t *testing.T) {
	c := mustServe(t)
	ctx := context.Background()

	drafted := apiclient.Command{Event: apiclient.NewEvent{Id: ptr("01JDX0MZ4W5PZ8Q3B7T1V6N2KE"), Act: refugees, Type: apiclient.EventTypeDrafted, Date: "2009-06",
		Body: &apiclient.Body{Title: ptr("Law on Refugees"), Kind: ptr(apiclient.Law)}}}
	r := post(t, c, drafted)
	if r.Id != "01JDX0MZ4W5PZ8Q3B7T1V6N2KE" || r.Act != refugees || r.Type != apiclient.EventTypeDrafted ||
		r.Version != 1 || r.Sequence < 1 || r.RecordedAt.IsZero() || (r.Duplicate != nil && *r.Duplicate) {
		t.Errorf("the receipt of the first event is %+v, want its id, act and type, version 1, a sequence and a record time", r)
	}
	if again := post(t, c, drafted); again.Duplicate == nil || !*again.Duplicate || again.Sequence != r.Sequence {
		t.Errorf("the receipt of the same event sent again is %+v, want duplicate and sequence %d", again, r.Sequence)
	}

	t.Run("History", func(t *testing.T) {
		resp, err := c.GetV1HistoryWithResponse(ctx, &apiclient.GetV1HistoryParams{Act: refugees})
		if err != nil {
			t.Fatal(err)
		}
		h := resp.JSON200
		if h == nil {
			t.Fatalf("GET /v1/history: %d %s", resp.StatusCode(), resp.Body)
		}
		if h.Act != refugees || h.Version != 1 || len(h.Events) != 1 || h.NextCursor != nil {
			t.Fatalf("the history is %s", resp.Body)
		}
		e := h.Events[0]
		if e.Version != 1 || e.Sequence != r.Sequence || e.Event.Id != r.Id || e.Event.Date != "2009-06" ||
			e.Event.Body == nil || e.Event.Body.Title == nil || *e.Event.Body.Title != "Law on Refugees" ||
			e.Event.RecordedBy != "anonymous@http" || !e.Event.RecordedAt.Equal(r.RecordedAt) || e.Event.Hash == nil {
			t.Errorf("the history's event is %+v", e)
		}
	})

	t.Run("ErrRuleViolation", func(t *testing.T) {
		var body apiclient.Record
		if err := body.FromCommand(apiclient.Command{Event: apiclient.NewEvent{Act: refugees, Type: apiclient.EventTypeSigned, Date: "2009-12-04"}}); err != nil {
			t.Fatal(err)
		}
		resp, err := c.PostV1EventsWithResponse(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON422 == nil {
			t.Fatalf("signing a draft: %d %s, want 422", resp.StatusCode(), resp.Body)
		}
		e := resp.JSON422.Error
		if e.Code != apiclient.ErrorErrorCodeRuleViolation || e.Rule == nil || *e.Rule != "signed_before_adopted" ||
			e.Act == nil || *e.Act != refugees || e.Message == "" {
			t.Errorf("the error is %+v, want rule_violation, rule signed_before_adopted, the act and a message", e)
		}
	})

	last := recordNotaries(t, c)
	seq := &last.Sequence // read-your-writes: wait for the projector to apply it
	wait := ptr("20s")

	t.Run("Act", func(t *testing.T) {
		resp, err := c.GetV1ActWithResponse(ctx, &apiclient.GetV1ActParams{Act: notaries, AsOf: day("2011-06-01"), MinSeq: seq, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		a := resp.JSON200
		if a == nil {
			t.Fatalf("GET /v1/act: %d %s", resp.StatusCode(), resp.Body)
		}
		if a.Act != notaries || a.Title != "Law on Notaries" || a.Kind != "law" || a.Country != "kz" || a.AsOf != "2011-06-01" ||
			a.Status != apiclient.StatusInForce || a.Version != 3 || a.Dates["first_in_force"] != "2011-01-01" {
			t.Errorf("the act on 2011-06-01 is %s", resp.Body)
		}
		if a.AmendmentsReceived == nil || len(*a.AmendmentsReceived) != 1 || (*a.AmendmentsReceived)[0].Instrument != "/akn/kz/act/2011-01-15/310" ||
			(*a.AmendmentsReceived)[0].EffectiveFrom != "2011-02-01" {
			t.Errorf("the act's amendments received are %s", resp.Body)
		}
	})

	t.Run("Acts", func(t *testing.T) {
		resp, err := c.GetV1ActsWithResponse(ctx, &apiclient.GetV1ActsParams{AsOf: day("2011-06-01"), Limit: ptr(1), MinSeq: seq, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		p := resp.JSON200
		if p == nil {
			t.Fatalf("GET /v1/acts: %d %s", resp.StatusCode(), resp.Body)
		}
		if len(p.Acts) != 1 || p.Acts[0].Act != refugees || p.Acts[0].Status != apiclient.StatusNotAdopted ||
			p.Total == nil || *p.Total != 2 || p.NextCursor == nil || p.AsOf.Format(time.DateOnly) != "2011-06-01" {
			t.Fatalf("the first page of one act is %s", resp.Body)
		}
		resp, err = c.GetV1ActsWithResponse(ctx, &apiclient.GetV1ActsParams{AsOf: day("2011-06-01"), Limit: ptr(1), Cursor: p.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		p = resp.JSON200
		if p == nil || len(p.Acts) != 1 || p.Acts[0].Act != notaries || p.Acts[0].Status != apiclient.StatusInForce || p.NextCursor != nil {
			t.Errorf("the second page is %d %s", resp.StatusCode(), resp.Body)
		}
	})

	t.Run("Timeline", func(t *testing.T) {
		resp, err := c.GetV1TimelineWithResponse(ctx, &apiclient.GetV1TimelineParams{Act: notaries, MinSeq: seq, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		tl := resp.JSON200
		if tl == nil {
			t.Fatalf("GET /v1/timeline: %d %s", resp.StatusCode(), resp.Body)
		}
		if tl.Act != notaries || tl.Title != "Law on Notaries" || len(tl.Events) != 3 || tl.Events[2].Id != last.Id ||
			tl.Events[2].Type != apiclient.EventTypeAmended || !tl.Events[2].Effective {
			t.Errorf("the timeline's events are %s", resp.Body)
		}
		in := tl.Intervals[len(tl.Intervals)-1]
		if in.Status != apiclient.StatusInForce || in.From == nil || *in.From != "2011-01-01" || in.To != nil ||
			in.OpenedBy == nil || len(*in.OpenedBy) != 1 || (*in.OpenedBy)[0] != tl.Events[1].Id {
			t.Errorf("the timeline's last interval is %+v, want in force from 2011-01-01, open, opened by the commencement", in)
		}
	})

	t.Run("Text", func(t *testing.T) {
		resp, err := c.GetV1TextWithResponse(ctx, &apiclient.GetV1TextParams{Act: notaries, AsOf: day("2011-06-01"), MinSeq: seq, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		txt := resp.JSON200
		if txt == nil {
			t.Fatalf("GET /v1/text: %d %s", resp.StatusCode(), resp.Body)
		}
		if txt.Act != notaries || txt.AsOf != "2011-06-01" || txt.Version == nil || *txt.Version != "2011-02-01" || len(txt.Provisions) != 2 {
			t.Fatalf("the text on 2011-06-01 is %s", resp.Body)
		}
		p := txt.Provisions[1]
		if p.Eid != "art_2" || p.Element != "article" || p.Text == nil || *p.Text != "A notary charges the fee set by the Chamber of Notaries." ||
			p.Status == nil || *p.Status != apiclient.TextProvisionStatusInForce || p.Annotations == nil || len(*p.Annotations) != 1 {
			t.Fatalf("art_2 on 2011-06-01 is %+v", p)
		}
		if an := (*p.Annotations)[0]; an.Op != apiclient.TextAnnotationOpSubstitute || an.Event != last.Id || an.From != "2011-02-01" ||
			an.Source == nil || *an.Source != "art_1" || an.Words == nil || !*an.Words {
			t.Errorf("art_2's annotation is %+v, want a substitution of words by art_1 of the amendment, from 2011-02-01", an)
		}
	})

	t.Run("Versions", func(t *testing.T) {
		resp, err := c.GetV1VersionsWithResponse(ctx, &apiclient.GetV1VersionsParams{Act: notaries, MinSeq: seq, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		vs := resp.JSON200
		if vs == nil {
			t.Fatalf("GET /v1/versions: %d %s", resp.StatusCode(), resp.Body)
		}
		if vs.Act != notaries || len(vs.Versions) != 2 || vs.Versions[0].Date != "2011-01-01" || !vs.Versions[0].Force ||
			vs.Versions[1].Date != "2011-02-01" || !vs.Versions[1].Text || len(vs.Versions[1].Events) != 1 ||
			vs.Versions[1].Events[0].Event != last.Id || vs.Versions[1].Events[0].Type != apiclient.EventTypeAmended {
			t.Errorf("the versions are %s", resp.Body)
		}
	})

	t.Run("TextDiff", func(t *testing.T) {
		resp, err := c.GetV1TextDiffWithResponse(ctx, &apiclient.GetV1TextDiffParams{Act: notaries, From: *day("2011-01-15"), To: *day("2011-06-01"), MinSeq: seq, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		d := resp.JSON200
		if d == nil {
			t.Fatalf("GET /v1/text/diff: %d %s", resp.StatusCode(), resp.Body)
		}
		if d.Act != notaries || d.From != "2011-01-15" || d.To != "2011-06-01" || len(d.Provisions) != 1 {
			t.Fatalf("the difference is %s", resp.Body)
		}
		p := d.Provisions[0]
		if p.Eid != "art_2" || p.Change != apiclient.TextDifferenceProvisionsChangeChanged || p.Words == nil || len(*p.Words) != 6 ||
			(*p.Words)[1].Op != apiclient.Minus || (*p.Words)[1].Text != "Ministry " {
			t.Errorf("art_2's difference is %+v, want changed, six runs of words, the second removing %q", p, "Ministry ")
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		resp, err := c.GetV1ActWithResponse(ctx, &apiclient.GetV1ActParams{Act: unknown, MinSeq: seq, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON404 == nil {
			t.Fatalf("GET /v1/act of an act never recorded: %d %s, want 404", resp.StatusCode(), resp.Body)
		}
		if e := resp.JSON404.Error; e.Code != apiclient.ErrorErrorCodeNotFound || e.Message == "" {
			t.Errorf("the error is %+v, want not_found with a message", e)
		}
	})
}
