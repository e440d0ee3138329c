package akn_test

import (
	"fmt"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// The acts of the hand-written history. The assemblies law goes through
// the whole bill track and then through every kind of effect; the others
// cover a decree suspended and annulled, a treaty acceded to, and a bill
// withdrawn. They are test fixtures, not Kazakh law.
const (
	assemblies = events.ActID("/akn/kz/act/2011-02-15/42")
	amending   = events.ActID("/akn/kz/act/2012-01-10/7")
	decree     = events.ActID("/akn/kz/act/decree/2011-05/12")
	opcat      = events.ActID("/akn/kz/act/treaty/2002-12-18/opcat")
	withdrawn  = events.ActID("/akn/kz/bill/2011-01-20/5")
)

// fixture is the history's ledger and the events the tests look for.
type fixture struct {
	*ledger
	scheduleCommenced events.Event // commencement of schedule_A, corrected later
	renumbering       events.Event // retracted later
	correction        events.Event
	retraction        events.Event
}

// ev builds the JSON of an event of act from its other fields.
func ev(act events.ActID, fields string) string {
	return fmt.Sprintf(`{"act":%q,%s}`, act, fields)
}

func history(t testing.TB) *fixture {
	l := newLedger(t)
	f := &fixture{ledger: l}
	a := assemblies
	l.add(ev(a, `"type":"drafted","date":"2010-09","body":{"title":"Law on Public Assemblies","kind":"law",
		"summary":"Sets the procedure for notifying and holding public assemblies.",
		"drafting_body":"Ministry of Justice of the Republic of Kazakhstan",
		"texts":{"art_1":"This Law governs public assemblies.","art_2":"An assembly is notified ten days in advance.",
		"sec_3__subsec_1":"The local executive body keeps a register of notifications.",
		"sec_3__subsec_2":"An assembly may be held on any public square.\nThe organiser answers for public order.",
		"schedule_A":"Form of notification."}}`))
	l.add(ev(a, `"type":"introduced","date":"2010-10-05","body":{"chamber":"Mazhilis of the Parliament"}`))
	l.add(ev(a, `"type":"passed","date":"2010-12-01","body":{"chamber":"Mazhilis of the Parliament","reading":"third reading"}`))
	l.add(ev(a, `"type":"passed","date":"2011-02-01","body":{"chamber":"Senate of the Parliament"}`))
	l.add(ev(a, `"type":"adopted","date":"2011-02-15","body":{"chamber":"Parliament of the Republic of Kazakhstan",
		"texts":{"art_1":"This Law governs public assemblies, meetings, marches and pickets."}}`))
	l.add(ev(a, `"type":"vetoed","date":"2011-02-20","body":{"signatory":"President of the Republic of Kazakhstan","reason":"objections to article 2"}`))
	l.add(ev(a, `"type":"veto_overridden","date":"2011-03-01","body":{"chamber":"Parliament of the Republic of Kazakhstan"}`))
	l.add(ev(a, `"type":"published","date":"2011-03-05","body":{"gazette":"Kazakhstanskaya Pravda No. 45 (26516)","eli":"https://zan.kz/eli/kz/law/2011/42"}`))
	l.add(ev(a, `"type":"commenced","date":"2011-03-05","effective_from":"2011-04-01","provisions":["art_1","art_2","sec_3"]`))
	f.scheduleCommenced = l.add(ev(a, `"type":"commenced","date":"2011-03-05","effective_from":"2011-07-01","provisions":["schedule_A"]`))
	l.add(ev(a, `"type":"corrigendum","date":"2011-03-20","provisions":["sec_3__subsec_1"],
		"body":{"gazette":"Kazakhstanskaya Pravda No. 52","texts":{"sec_3__subsec_1":"The local executive body keeps a public register of notifications."}}`))

	l.add(ev(amending, `"type":"adopted","date":"2012-01-10","body":{"title":"Law amending the Law on Public Assemblies","kind":"law"}`))
	l.add(ev(amending, `"type":"commenced","date":"2012-01-10","effective_from":"2012-02-01"`))
	l.add(ev(a, `"type":"amended","date":"2012-01-10","effective_from":"2012-02-01","instrument":"`+string(amending)+`",
		"provisions":["art_2"],"body":{"effect":"substitution","texts":{"art_2":"An assembly is notified five days in advance."}}`))
	l.add(ev(a, `"type":"amended","date":"2012-01-10","effective_from":"2012-02-01","instrument":"`+string(amending)+`",
		"provisions":["art_2-1"],"body":{"effect":"insertion","texts":{"art_2-1":"A spontaneous assembly needs no notice."}}`))
	l.add(ev(a, `"type":"commenced","date":"2012-01-10","effective_from":"2012-02-01","instrument":"`+string(amending)+`","provisions":["art_2-1"]`))
	l.add(ev(a, `"type":"suspended","date":"2012-05-20","effective_from":"2012-06-01","effective_to":"2012-12-01",
		"provisions":["sec_3__subsec_2"],"body":{"reason":"state of emergency"}`))
	l.add(ev(a, `"type":"suspended","date":"2012-08","effective_from":"2012-08","body":{"reason":"moratorium on assemblies"}`))
	l.add(ev(a, `"type":"suspension_lifted","date":"2012-10-10","effective_from":"2012-10-15"`))
	l.add(ev(a, `"type":"amended","date":"2012-11-20","effective_from":"2013-01-01","instrument":"/akn/kz/act/2012-11-20/88",
		"provisions":["art_1"],"body":{"effect":"repeal"}`))
	f.renumbering = l.add(ev(a, `"type":"amended","date":"2012-11-20","effective_from":"2013-01-01","instrument":"/akn/kz/act/2012-11-20/88",
		"provisions":["schedule_A"],"body":{"effect":"renumbering"}`))
	f.correction = l.add(ev(a, fmt.Sprintf(`"type":"record_corrected","date":"2013-02-01",
		"body":{"corrects":%q,"correction":{"effective_from":"2011-08-01"},"reason":"the gazette gives 1 August 2011"}`, f.scheduleCommenced.ID)))
	f.retraction = l.add(ev(a, fmt.Sprintf(`"type":"record_retracted","date":"2013-02-02",
		"body":{"retracts":%q,"reason":"recorded in error: the schedule was not renumbered"}`, f.renumbering.ID)))
	l.add(ev(a, `"type":"repealed","date":"2014-06-01","effective_from":"2014-07-01","instrument":"/akn/kz/act/2014-06-01/3"`))
	l.add(ev(a, `"type":"reenacted","date":"2014-12-20","effective_from":"2015-01-01","instrument":"/akn/kz/act/2014-12-20/9"`))

	l.add(ev(decree, `"type":"adopted","date":"2011-05","body":{"title":"Decree on the order of public events","kind":"decree",
		"drafting_body":"Administration of the President of the Republic of Kazakhstan",
		"texts":{"para_1":"Public events are held in daylight.","para_2__subpara_a":"Music is allowed until 22:00.","para_2__subpara_b":"Fireworks need a permit."}}`))
	l.add(ev(decree, `"type":"signed","date":"2011-05","body":{"signatory":"President of the Republic of Kazakhstan"}`))
	l.add(ev(decree, `"type":"commenced","date":"2011-05","effective_from":"2011-06-01"`))
	l.add(ev(decree, `"type":"suspended","date":"2012-03","effective_from":"2012-03","effective_to":"2012-09-01"`))
	l.add(ev(decree, `"type":"annulled","date":"2013-04-20","effective_from":"2013-05-01","instrument":"/akn/kz/act/resolution/2013-04-20/5",
		"body":{"reason":"contrary to the Constitution"}`))

	l.add(ev(opcat, `"type":"acceded","date":"2008-10","instrument":"/akn/kz/act/2008-06-26/35",
		"body":{"title":"Optional Protocol to the Convention against Torture","kind":"treaty"}`))
	l.add(ev(opcat, `"type":"commenced","date":"2008-11-22","effective_from":"2008-11-22"`))

	l.add(ev(withdrawn, `"type":"drafted","date":"2011-01-20","body":{"title":"Draft law on peaceful assembly zones","kind":"law",
		"drafting_body":"Group of deputies","texts":{"art_1":"Zones for assemblies are set by the local council."}}`))
	l.add(ev(withdrawn, `"type":"introduced","date":"2011-01-25","body":{"chamber":"Mazhilis of the Parliament"}`))
	l.add(ev(withdrawn, `"type":"withdrawn","date":"2011-06","body":{"reason":"withdrawn by its sponsors"}`))
	return f
}
