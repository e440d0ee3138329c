// Package web is the auditors' web interface: the life of a law at a
// glance. It reads a projector (its projection, audit reports and applied
// events) and serves server-rendered HTML pages:
//
//	GET /                    browse and search acts by jurisdiction, kind and status on a day
//	GET /ui/act?act=         one act: status on a day as known at a time, its timeline as a chart,
//	                         its provisions and texts, its events, verification, export link
//	GET /ui/text?act=        the act's whole consolidated text on a day (the reading view): nested
//	                         provisions, notes of the changes, the changes not yet shown, versions
//	GET /ui/textdiff?act=&from=&to=   its text on two days compared word by word (<del>/<ins>)
//	GET /ui/jurisdiction?country=   counts by status on a day, a page of the acts in force then
//	                         (cursor=), and a page of what changed between two days (changes_cursor=)
//	GET /ui/events           server-sent events: each event the projector applies
//	GET /ui/static/...       the one style sheet and the one small script
//
// Every page is complete without JavaScript: its controls are GET forms, so
// every view is a shareable URL. The script, when it runs, updates the page
// in place (it fetches the page's parts with partial=1 and replaces them,
// then rewrites the URL with history.replaceState) and listens to
// /ui/events to refresh the parts when an event of interest is recorded:
// the page's own URL (its cursor, its page), at most every 250 ms while
// events keep coming and once after the last. A page's stream tells only
// what can change it (an act's events; a jurisdiction's, of the kind
// shown; none recorded after the page's known_at).
// The assets are embedded in the binary; there is no build step.
//
// The pages read their query parameters (as_of, known_at, country, kind,
// status, min_seq with wait, page, limit, cursor) with
// projections.ParseParams, as the query API (httpapi.Queries) does: the
// same forms are accepted, and the others refused with the same message.
package web
