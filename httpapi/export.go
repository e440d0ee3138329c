package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/lexledger/lexledger/akn"
	"github.com/lexledger/lexledger/projections"
)

// export handles GET /v1/export?act=&as_of=&known_at=: the act as of the
// day, as an Akoma Ntoso 3.0 document. Its manifestation date is the record
// time of the latest event it reflects, so the same question gives the same
// bytes.
func (q *Queries) export(w http.ResponseWriter, r *http.Request) {
	p, id, ok := q.prepareAct(w, r)
	if !ok {
		return
	}
	var doc []byte
	var seq uint64
	var err error
	q.Projector.Read(func(pr *projections.Projection) {
		seq = pr.LastSeq()
		var st projections.ActState
		if st, err = pr.State(id, p.Query()); err != nil {
			return
		}
		var recorded time.Time
		for i, e := range pr.History(id) {
			if uint64(i) < st.Version && e.RecordedAt.After(recorded) {
				recorded = e.RecordedAt
			}
		}
		doc, err = akn.Export(pr, id, p.Query(), recorded)
	})
	if err != nil {
		q.fail(w, r, err)
		return
	}
	w.Header().Set(HeaderSeq, strconv.FormatUint(seq, 10))
	w.Header().Set("Content-Type", "application/akn+xml")
	w.Write(doc)
}
