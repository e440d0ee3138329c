package natsauth

import (
	"fmt"
	"strings"

	"github.com/lexledger/lexledger/natsjs"
)

// Role is what a client of the ledger's NATS server may do. Role names are
// file names (ROLE.nk) and appear in generated configurations: they are
// never renamed.
type Role string

// The roles.
const (
	// RoleLedger is `ledger serve` and `ledger import --nats-url`: the only
	// role that publishes events, in the account of the stream. It also
	// keeps views there, because `ledger serve` runs a projector in
	// process by default.
	RoleLedger Role = "ledger"
	// RoleProjector reads the stream through its account's import and
	// writes its own views in its own account: the state bucket, the
	// snapshot store, the notices and checkpoints streams and the change
	// notices.
	RoleProjector Role = "projector"
	// RoleClerk sends commands to the ledger's service (lex.cmd.>) and
	// receives the replies; nothing else.
	RoleClerk Role = "clerk"
	// RoleAuditor reads the stream and the views and asks the service for
	// an act's history.
	RoleAuditor Role = "auditor"
	// RoleSubscriber reads the stream and the views and follows
	// lex.recorded.> and lex.changes.>.
	RoleSubscriber Role = "subscriber"
	// RoleAdmin may do anything in the account of the stream, including
	// updating, purging or deleting it, and is the only role that may
	// discover the service (nats micro ls, info, stats): the service
	// framework answers those requests on whatever reply subject the
	// requester chose, lex.events.> included. Keep its seed offline.
	RoleAdmin Role = "admin"
)

// Roles lists every role, in the order of generated configurations.
var Roles = []Role{RoleLedger, RoleProjector, RoleClerk, RoleAuditor, RoleSubscriber, RoleAdmin}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("unknown role %q: the roles are %s", s, strings.Join(names, ", "))
}

// Permissions are one role's publish and subscribe allow and deny lists
// as nats-server applies them: a subject must match an allow entry and no
// deny entry. AllowResponses lets the role answer requests it received
// (the reply subjects of those requests only).
type Permissions struct {
	PubAllow, PubDeny []string
	SubAllow, SubDeny []string
	AllowResponses    bool
}

// Names are the JetStream resources whose subjects the permissions name.
type Names struct {
	Stream string // the ledger's stream, natsjs.DefaultStream when empty
}

func (n Names) withDefaults() Names {
	if n.Stream == "" {
		n.Stream = natsjs.DefaultStream
	}
	return n
}

// The accounts of a generated configuration. Each holds the JetStream
// resources of one party, and users only of roles that may write them:
// JetStream answers an API request on whatever reply subject the requester
// names, and a stream stores what is published on its subjects in its own
// account, so a user who shares an account with a stream can have the
// server write into it. Across accounts, an import's answers go back to
// the importing account, where no stream of another party captures them.
const (
	// AccountLedger holds the ledger's stream (and the in-process
	// projector's views of `ledger serve`): users ledger and admin.
	AccountLedger = "LEDGER"
	// AccountViews holds the projector's views: user projector. It imports
	// the stream's read API under natsjs.StreamAPIPrefix.
	AccountViews = "VIEWS"
	// AccountClients has no JetStream of its own: users clerk, auditor and
	// subscriber. It imports the clerks' service, the stream's read API
	// (natsjs.StreamAPIPrefix), the views' read API (natsjs.ViewsAPIPrefix)
	// and the event and change feeds.
	AccountClients = "CLIENTS"
)

// Accounts lists the accounts, in the order of generated configurations.
var Accounts = []string{AccountLedger, AccountViews, AccountClients}

// AccountOf returns the account of role's user.
func AccountOf(role Role) string {
	switch role {
	case RoleProjector:
		return AccountViews
	case RoleClerk, RoleAuditor, RoleSubscriber:
		return AccountClients
	}
	return AccountLedger
}

// The projector's resources, as JetStream names their streams.
var (
	stateStream    = "KV_" + natsjs.StateBucket
	snapshotStream = "OBJ_" + natsjs.SnapshotBucket
	viewStreams    = []string{stateStream, snapshotStream, natsjs.NoticesStream, natsjs.CheckpointsStream}
	// readViews are the views that the clients' account may read.
	readViews = []string{stateStream, natsjs.NoticesStream, natsjs.CheckpointsStream}
)

const api = natsjs.DefaultAPIPrefix + "."

// apiCall is one JetStream API subject, after the API prefix.
type apiCall struct {
	subject string
	many    bool // answered with many messages (response_type: stream)
}

// readAPI is what reading stream s takes: its info, single-message gets
// by sequence or time (the message get API), and the last message of a
// subject by direct get (a key of a bucket). No consumer: a consumer
// created on another account's stream delivers, in that account, to a
// subject of its creator's choosing, and can so feed the ledger's or the
// projector's own subscriptions (the ledger's service, a projector's
// replay, a stream of checkpoints). No batched direct get: its size is the
// requester's to choose, and the server answers it holding the stream's
// writes (a review stalled appends for 24 s with five requests). natsjs
// reads through an import one message get per sequence, many in flight.
func readAPI(s string) []apiCall {
	return []apiCall{
		{"STREAM.INFO." + s, false},
		{"STREAM.MSG.GET." + s, false},
		{"DIRECT.GET." + s + ".>", false}, // the subject form takes no batch
	}
}

// ownReadAPI is what reading stream s in its own account takes: readAPI,
// and batched direct gets (the ledger reads an act's events so, the
// projector its views).
func ownReadAPI(s string) []apiCall {
	return append(readAPI(s), apiCall{"DIRECT.GET." + s, true})
}

// consumeAPI is what following stream s with ordered consumers takes:
// creating them, fetching, their info, and deleting the consumer an
// ordered consumer replaces. The projector follows the ledger's stream so;
// clients are not given it (readAPI).
func consumeAPI(s string) []apiCall {
	return []apiCall{
		{"CONSUMER.CREATE." + s, false},
		{"CONSUMER.CREATE." + s + ".>", false},
		{"CONSUMER.INFO." + s + ".*", false},
		{"CONSUMER.MSG.NEXT." + s + ".*", true},
		{"CONSUMER.DELETE." + s + ".*", false},
	}
}

// subjects lists calls as subjects under prefix.
func subjects(prefix string, calls ...[]apiCall) []string {
	var out []string
	for _, cs := range calls {
		for _, c := range cs {
			out = append(out, prefix+"."+c.subject)
		}
	}
	return out
}

// readStream is readAPI(s) as subjects under prefix.
func readStream(prefix, s string) []string { return subjects(prefix, readAPI(s)) }

// ownStream is what keeping stream s as one's own takes, beyond reading
// it: creating it when it does not exist, updating it (its replicas, say:
// in an account without the ledger's stream, no configuration of it can
// write events), backing it up and restoring it (`ledger backup --stream`,
// the snapshot API and its chunk subjects), deleting its consumers,
// purging it and deleting messages (the object store replaces a
// snapshot's chunks so). Deleting it is left out.
func ownStream(s string) []string {
	return append(subjects(natsjs.DefaultAPIPrefix, ownReadAPI(s), consumeAPI(s)),
		api+"STREAM.CREATE."+s,
		api+"STREAM.UPDATE."+s,
		api+"STREAM.SNAPSHOT."+s,
		api+"STREAM.RESTORE."+s,
		"$JS.SNAPSHOT.ACK."+s+".*",
		"$JS.SNAPSHOT.RESTORE."+s+".*",
		api+"STREAM.PURGE."+s,
		api+"STREAM.MSG.DELETE."+s,
		// The flow control of the push consumers that read an object or
		// watch a bucket: the client answers the server on these.
		"$JS.FC."+s+".>",
	)
}

// idStream is the stream of the claims of event ids beside the ledger's.
func (n Names) idStream() string { return natsjs.Config{Stream: n.Stream}.IDStream() }

// changesStream lists what changes the ledger's streams (its events and
// the claims of their ids): denied to every role but admin, whatever else
// a role is allowed. The ledger is allowed the first two, the appends.
func changesStream(n Names) []string {
	out := []string{natsjs.DefaultPrefix + ".>", natsjs.DefaultIDPrefix + ".>"}
	for _, s := range []string{n.Stream, n.idStream()} {
		out = append(out, api+"STREAM.UPDATE."+s, api+"STREAM.DELETE."+s, api+"STREAM.PURGE."+s, api+"STREAM.MSG.DELETE."+s)
	}
	return out
}

// lockedCheckpoints lists what would let the projector's role (and the
// ledger's, whose in-process projector writes them) shorten the signed
// checkpoints, a stream the projector otherwise keeps as its own:
// updating its configuration (a server accepts --max-msgs 1 and drops
// every checkpoint but the last, deny purge or not), purging it, deleting
// a message or the stream. Only admin may.
func lockedCheckpoints() []string {
	s := natsjs.CheckpointsStream
	return []string{api + "STREAM.UPDATE." + s, api + "STREAM.PURGE." + s, api + "STREAM.MSG.DELETE." + s, api + "STREAM.DELETE." + s}
}

// advisories are the subjects of JetStream's advisories that a stream was
// updated, deleted or created, for each of streams: natsjs.Watcher hears
// them to notice at once a stream changed so that messages can be lost or
// admitted. They reach only the stream's own account.
func advisories(streams ...string) []string {
	var out []string
	for _, s := range streams {
		out = append(out, natsjs.AdvisoryStreamUpdated+"."+s, natsjs.AdvisoryStreamDeleted+"."+s, natsjs.AdvisoryStreamCreated+"."+s)
	}
	return out
}

// InboxPrefix is the inbox prefix of the user with public key user: its
// replies arrive under it, and it may subscribe to no other inbox, so
// that no client reads the replies meant for another. ClientOptions sets
// it; natscli takes it as --inbox-prefix.
func InboxPrefix(user string) string { return "_INBOX." + user }

// PermissionsOf returns the permissions of role's user, whose public key
// is user, on the resources named by n, in its account (AccountOf). They
// repeat, user by user, what the accounts' imports already limit. Without
// a user, the role's inbox is the shared _INBOX.>.
func PermissionsOf(role Role, n Names, user string) (Permissions, error) {
	n = n.withDefaults()
	inbox := []string{"_INBOX.>"}
	if user != "" {
		inbox = []string{InboxPrefix(user) + ".>"}
	}
	// Readers in the clients' account reach the stream and the views
	// through their imports.
	readers := readStream(natsjs.StreamAPIPrefix, n.Stream)
	for _, s := range readViews {
		readers = append(readers, readStream(natsjs.ViewsAPIPrefix, s)...)
	}
	feeds := []string{natsjs.RecordedPrefix + ".>", natsjs.ChangesPrefix + ".>"}
	// A projector keeps its views in its own account; the ledger's
	// in-process projector keeps them in the ledger's.
	views := []string{api + "INFO"}
	for _, s := range viewStreams {
		views = append(views, ownStream(s)...)
	}
	views = append(views,
		"$KV."+natsjs.StateBucket+".>",
		"$O."+natsjs.SnapshotBucket+".>",
		natsjs.NoticesPrefix+".>",
		natsjs.CheckpointsSubject,
		natsjs.ChangesPrefix+".>",
	)
	switch role {
	case RoleLedger:
		pub := append([]string{
			natsjs.DefaultPrefix + ".>",
			api + "STREAM.CREATE." + n.Stream,
			// natsjs.Open looks for an import of the stream first.
			natsjs.StreamAPIPrefix + ".STREAM.INFO." + n.Stream,
			// The claims of event ids: created beside the stream, written
			// before each event, read when an id is taken.
			natsjs.DefaultIDPrefix + ".>",
			api + "STREAM.CREATE." + n.idStream(),
		}, subjects(natsjs.DefaultAPIPrefix, ownReadAPI(n.Stream), consumeAPI(n.Stream), readAPI(n.idStream()))...)
		return Permissions{
			PubAllow: append(pub, views...),
			// Everything that changes the streams but appending to them.
			PubDeny:        append(changesStream(n)[2:], lockedCheckpoints()...),
			SubAllow:       append(append([]string{"lex.cmd.>", "$SRV.>"}, inbox...), advisories(append([]string{n.Stream, n.idStream()}, viewStreams...)...)...),
			AllowResponses: true,
		}, nil
	case RoleProjector:
		pub := subjects(natsjs.StreamAPIPrefix, readAPI(n.Stream), consumeAPI(n.Stream))
		// natsjs.OpenViewsForReading looks for an import of the views first.
		pub = append(pub, natsjs.ViewsAPIPrefix+".STREAM.INFO."+natsjs.CheckpointsStream)
		return Permissions{PubAllow: append(pub, views...), PubDeny: append(changesStream(n), lockedCheckpoints()...),
			// The stream watch of a projector hears the advisories of the
			// ledger's streams too: in the ledger's account, where
			// `ledger serve`'s projector runs, they reach it; elsewhere none
			// arrives.
			SubAllow: append(inbox, advisories(append([]string{n.Stream, n.idStream()}, viewStreams...)...)...)}, nil
	case RoleClerk:
		return Permissions{PubAllow: []string{"lex.cmd.>"}, PubDeny: changesStream(n), SubAllow: inbox}, nil
	case RoleAuditor:
		pub := append([]string{natsjs.SubjectHistory}, readers...)
		return Permissions{PubAllow: pub, PubDeny: changesStream(n), SubAllow: append(feeds, inbox...)}, nil
	case RoleSubscriber:
		return Permissions{PubAllow: readers, PubDeny: changesStream(n), SubAllow: append(feeds, inbox...)}, nil
	case RoleAdmin:
		return Permissions{PubAllow: []string{">"}, SubAllow: []string{">"}}, nil
	}
	_, err := ParseRole(string(role))
	return Permissions{}, err
}
