// Package akn exports an act of the ledger as an Akoma Ntoso 3.0 document
// (OASIS LegalDocML): the expression of the act in force on a day, as the
// record stood at a time, valid against the official schema
// (akomantoso30.xsd).
//
// It reads a projections.Projection and nothing else: the act's status,
// provisions and texts on the day (Projection.State), its intervals of
// valid time (Projection.Timeline), and its effective events. The mapping:
//
//   - identification: the FRBR work is the act's identifier
//     (/akn/kz/act/2009-12-04/216), the expression adds the language and the
//     as-of day (.../eng@2010-01-01), the manifestation is this XML
//     (.../eng@2010-01-01/!main.xml, .../eng@2010-01-01.akn); a work date
//     known only to the month or year (/akn/kz/act/2007-05/...) stands at
//     its first day with lex:precision="month" or "year";
//   - lifecycle: one eventRef per effective event, dated by its
//     effective_from (effects) or its legal date (procedure); a date known
//     only to the month or year stands at its first day and refers to the
//     concept monthPrecision or yearPrecision;
//   - workflow: one step per procedural event;
//   - analysis: a textualMod per amendment in effect on the day;
//   - temporalData: a group per interval in which the act is in force, one
//     per provision ever in force (its element's period), one per amendment;
//   - body: one element per provision, chosen by the eId's name (art ->
//     article, sec -> section, ...; others hcontainer), nested by "__",
//     with its text on the day; status="removed" once repealed,
//     "temporarilyRemoved" while suspended;
//   - proprietary: the projection's own answer (status, reason, uncertain
//     boundaries), in the namespace ProprietaryNamespace.
//
// An act that is not adopted on the day is exported as a <bill>, which has
// the same content model as an <act>.
//
// Read goes the other way: an Akoma Ntoso document, the ledger's own or
// another's, as the events that record it (identification, body, lifecycle,
// workflow, temporal data and passive modifications), each traced to its
// element in body.note; `ledger import-akn` records them.
package akn
