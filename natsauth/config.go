package natsauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lexledger/lexledger/internal/atomicfile"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nkeys"
)

// Defaults of Options.
const (
	DefaultHost       = "127.0.0.1"
	DefaultPort       = 4222
	DefaultServerName = "lexledger"
	// ConfigFile is the name of the configuration in the output directory.
	ConfigFile = "nats.conf"
	// UsersFile names, beside the configuration, each user's public key
	// with its role: `ledger serve --nats-users` records the senders of
	// commands by these names. It holds no secret.
	UsersFile = "users.json"
)

// A cluster node pings each of its routes every RoutePingInterval and
// closes one once RoutePingMax pings are unanswered: a node whose process
// hangs (paused, its host frozen) is cut off within about three intervals,
// as a killed one is at once. The server's default (two minutes, routes
// capped at 30 s) kept a node paused for 45 s in every route, and the
// other servers kept handing it a share of the direct gets and requests,
// which it never answered (issue 17, RELIABILITY.md).
const (
	RoutePingInterval = "2s"
	RoutePingMax      = 2
)

// Options describe the server that Generate configures.
type Options struct {
	Names
	ServerName  string // DefaultServerName when empty
	Host        string // the client listener's address, DefaultHost when empty
	Port        int    // the client port, DefaultPort when zero
	MonitorPort int    // HTTP monitoring (/healthz, /jsz) on Host; none when zero
	StoreDir    string // JetStream's store; required
	// SyncInterval is JetStream's sync_interval: "always" (the default)
	// fsyncs every write before acknowledging it.
	SyncInterval string
	// TLSCert and TLSKey, both or neither, make the client port TLS only.
	TLSCert, TLSKey string
	// ClusterName, ClusterListen (host:port) and Routes (nats-route://
	// URLs, every node of the cluster) make the server a cluster node,
	// whose routes are pinged every RoutePingInterval and closed after
	// RoutePingMax pings without an answer.
	ClusterName   string
	ClusterListen string
	Routes        []string
	// Clerks names clerks who each get a user of their own (the clerk
	// role's rights, seed clerk.NAME.nk), so that a command over NATS is
	// recorded by its clerk's name (users.json) rather than as clerk@nats.
	Clerks []string
	// SeedDirs puts the seeds of some roles in directories of their own
	// instead of DIR (role name to directory; the named clerks' go with
	// "clerk"), so that each service can be given its own seed and no
	// other: a container that mounts DIR sees the others.
	SeedDirs map[Role]string
	// File is where Generate writes the configuration: DIR/ConfigFile
	// when empty. The nodes of a cluster share the seeds of one DIR and
	// each has a file of its own there (its server name, its routes).
	File string
}

func (o Options) withDefaults() Options {
	o.Names = o.Names.withDefaults()
	if o.ServerName == "" {
		o.ServerName = DefaultServerName
	}
	if o.Host == "" {
		o.Host = DefaultHost
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.SyncInterval == "" {
		o.SyncInterval = "always"
	}
	return o
}

// check says what is wrong with o, and what to do, in one error.
func (o Options) check() error {
	var p []string
	if o.StoreDir == "" {
		p = append(p, "the JetStream store directory is missing: name one (--store)")
	}
	if o.Port < 0 || o.Port > 65535 || o.MonitorPort < 0 || o.MonitorPort > 65535 {
		p = append(p, fmt.Sprintf("ports must be between 1 and 65535 (client %d, monitor %d)", o.Port, o.MonitorPort))
	}
	if net.ParseIP(o.Host) == nil && o.Host != "localhost" {
		p = append(p, fmt.Sprintf("host %q is not an IP address: give the address to listen on, such as 127.0.0.1 or 0.0.0.0", o.Host))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		p = append(p, "TLS needs both a certificate and its key (--tls-cert and --tls-key)")
	}
	if o.ClusterName == "" && (o.ClusterListen != "" || len(o.Routes) > 0) {
		p = append(p, "cluster routes or a cluster listener need a cluster name (--cluster-name)")
	}
	if o.ClusterName != "" {
		if _, _, err := net.SplitHostPort(o.ClusterListen); err != nil {
			p = append(p, fmt.Sprintf("the cluster listener %q is not host:port (--cluster-listen 0.0.0.0:6222)", o.ClusterListen))
		}
		for _, r := range o.Routes {
			if !strings.HasPrefix(r, "nats-route://") && !strings.HasPrefix(r, "nats://") && !strings.HasPrefix(r, "tls://") {
				p = append(p, fmt.Sprintf("route %q is not a URL such as nats-route://nats2:6222", r))
			}
		}
	}
	if o.SyncInterval != "always" {
		p = append(p, fmt.Sprintf("sync interval %q: only 'always' is written (docs/OPERATIONS.md: the default two minutes can lose acknowledged events in a power cut)", o.SyncInterval))
	}
	if o.Stream == "" || strings.ContainsAny(o.Stream, ".*> \t\r\n\"\\/") || len(o.Stream) > 255 {
		p = append(p, fmt.Sprintf("stream name %q: a JetStream stream name has no '.', '*', '>', '/', quote or space: give the name 'ledger serve --stream' uses", o.Stream))
	}
	for _, s := range viewStreams {
		if o.Stream == s {
			p = append(p, fmt.Sprintf("the stream may not be named %s, the name of one of the projector's streams", s))
		}
	}
	for _, v := range append([]string{o.StoreDir, o.TLSCert, o.TLSKey, o.ServerName, o.Stream, o.ClusterName, o.ClusterListen}, o.Routes...) {
		if strings.ContainsAny(v, "\"\\\n\r") {
			p = append(p, fmt.Sprintf("%q holds a quote, backslash or line break, which the configuration cannot hold: choose another", v))
		}
	}
	for role, d := range o.SeedDirs {
		if _, err := ParseRole(string(role)); err != nil {
			p = append(p, "seed directory: "+err.Error())
		}
		if d == "" {
			p = append(p, fmt.Sprintf("the seed directory of %s is empty: name one, or leave the role out", role))
		}
	}
	seen := map[string]bool{}
	for _, c := range o.Clerks {
		if err := checkClerkName(c); err != nil {
			p = append(p, err.Error())
		} else if seen[c] {
			p = append(p, fmt.Sprintf("clerk %q is named twice", c))
		}
		seen[c] = true
	}
	if len(p) > 0 {
		return errors.New(strings.Join(p, "; "))
	}
	return nil
}

// checkClerkName says what is wrong with a clerk's name, if anything: it
// names a file (clerk.NAME.nk) and is recorded (NAME@nats).
func checkClerkName(name string) error {
	ok := name != "" && len(name) <= 64 && name[0] >= 'a' && name[0] <= 'z'
	for _, r := range name {
		ok = ok && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}
	if !ok {
		return fmt.Errorf("clerk name %q: use lower-case letters, digits, '-' and '_', starting with a letter (at most 64)", name)
	}
	if _, err := ParseRole(name); err == nil {
		return fmt.Errorf("clerk name %q is a role's name, which users.json already gives the role's own user: choose another", name)
	}
	return nil
}

// Users maps each role to its nkey user's public key (U...).
type Users map[Role]string

// Render returns the configuration for o with the given users; each role
// with a user gets its permissions, and each named clerk (clerks: name to
// public key) the clerk's. It holds no secret.
func Render(o Options, users Users, clerks map[string]string) (string, error) {
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return "", err
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Lex Ledger: nats-server configuration written by 'ledger nats-config'.\n")
	w("# Every client logs in with an nkey: the seeds are in ROLE.nk beside this\n")
	w("# file (keep them secret); this file holds only public keys. The roles and\n")
	w("# their rights: docs/OPERATIONS.md, Access control. Regenerate rather than edit.\n")
	w("server_name: %s\n", q(o.ServerName))
	w("listen: %s\n", q(net.JoinHostPort(o.Host, strconv.Itoa(o.Port))))
	if o.MonitorPort > 0 {
		w("http: %s\n", q(net.JoinHostPort(o.Host, strconv.Itoa(o.MonitorPort))))
	}
	w("max_payload: %d\n", natsjs.MaxMsgSize+1024)
	w("\njetstream {\n  store_dir: %s\n  sync_interval: %s\n}\n", q(o.StoreDir), o.SyncInterval)
	if o.TLSCert != "" {
		w("\n# Clients must connect with TLS (the ledger's --nats-ca names the CA).\n")
		w("tls {\n  cert_file: %s\n  key_file: %s\n  timeout: 5\n}\n", q(o.TLSCert), q(o.TLSKey))
	}
	if o.ClusterName != "" {
		w("\n# Routes are not authenticated here: keep the cluster port on a network\n# that only the nodes reach.\n")
		w("cluster {\n  name: %s\n  listen: %s\n", q(o.ClusterName), q(o.ClusterListen))
		w("  ping_interval: %s\n  ping_max: %d\n", q(RoutePingInterval), RoutePingMax)
		if len(o.Routes) > 0 {
			w("  routes: [\n")
			for _, r := range o.Routes {
				w("    %s\n", q(r))
			}
			w("  ]\n")
		}
		w("}\n")
	}
	w("\n# Three accounts (docs/OPERATIONS.md, Accounts): the ledger's stream in\n")
	w("# LEDGER, the projector's views in VIEWS, the clients in CLIENTS. What one\n")
	w("# account may reach of another is exported by the one and imported by the\n")
	w("# other: the clerks' service, read-only JetStream API and the feeds.\n")
	w("accounts {\n")
	sh := shares(o.Names)
	// Every user, in the order of Roles, each role's named clerks after it.
	type user struct {
		role       Role
		label, pub string
	}
	var all []user
	for _, role := range Roles {
		if pub, ok := users[role]; ok {
			all = append(all, user{role, string(role), pub})
		}
		if role == RoleClerk {
			for _, name := range slices.Sorted(maps.Keys(clerks)) {
				all = append(all, user{role, "clerk " + name, clerks[name]})
			}
		}
	}
	for _, acc := range Accounts {
		w("  %s {\n", acc)
		if acc != AccountClients {
			w("    jetstream: enabled\n")
		}
		w("    users: [\n")
		for _, u := range all {
			role, pub := u.role, u.pub
			if AccountOf(role) != acc {
				continue
			}
			if !nkeys.IsValidPublicUserKey(pub) {
				return "", fmt.Errorf("the %s user's key %q is not an nkey user public key (U...)", u.label, pub)
			}
			perms, err := PermissionsOf(role, o.Names, pub)
			if err != nil {
				return "", err
			}
			w("      # %s\n", u.label)
			w("      {\n        nkey: %s\n        permissions: {\n", pub)
			w("          publish: %s\n", list(perms.PubAllow, perms.PubDeny))
			w("          subscribe: %s\n", list(perms.SubAllow, perms.SubDeny))
			if perms.AllowResponses {
				w("          allow_responses: true\n")
			}
			w("        }\n      }\n")
		}
		w("    ]\n")
		var exports, imports []string
		for _, x := range sh {
			if x.from == acc {
				exports = append(exports, x.export())
			}
			for _, to := range x.to {
				if to == acc {
					imports = append(imports, x.importInto())
				}
			}
		}
		for _, l := range []struct {
			name  string
			items []string
		}{{"exports", exports}, {"imports", imports}} {
			if len(l.items) == 0 {
				continue
			}
			w("    %s: [\n", l.name)
			for _, it := range l.items {
				w("      %s\n", it)
			}
			w("    ]\n")
		}
		w("  }\n")
	}
	w("}\n")
	return b.String(), nil
}

// share is one export of an account and its imports by others.
type share struct {
	from    string   // the exporting account
	subject string   // the subject in the exporting account
	service bool     // a service (requests and their replies), else a stream of messages
	many    bool     // a service answering a request with many messages
	info    bool     // the importer shares its requesters' identity (Nats-Request-Info)
	to      []string // the importing accounts
	as      string   // the subject in the importing accounts; subject when empty
}

func (x share) export() string {
	kind := "stream"
	if x.service {
		kind = "service"
	}
	var extra string
	if x.many {
		extra = ", response_type: stream"
	}
	return fmt.Sprintf("{ %s: %s, accounts: [%s]%s }", kind, q(x.subject), strings.Join(x.to, ", "), extra)
}

func (x share) importInto() string {
	kind := "stream"
	if x.service {
		kind = "service"
	}
	var extra string
	if x.as != "" && x.as != x.subject {
		extra = ", to: " + q(x.as)
	}
	if x.info {
		extra += ", share: true"
	}
	return fmt.Sprintf("{ %s: { account: %s, subject: %s }%s }", kind, x.from, q(x.subject), extra)
}

// shares lists what the accounts share. The read-only API of a stream is
// imported under a prefix of its own (natsjs.StreamAPIPrefix,
// natsjs.ViewsAPIPrefix), so that the importer's own JetStream API keeps
// $JS.API.
func shares(n Names) []share {
	readers := []string{AccountViews, AccountClients}
	clients := []string{AccountClients}
	out := []share{
		{from: AccountLedger, subject: "lex.cmd.>", service: true, info: true, to: clients},
		{from: AccountLedger, subject: natsjs.RecordedPrefix + ".>", to: readers},
		{from: AccountViews, subject: natsjs.ChangesPrefix + ".>", to: clients},
	}
	api := func(from, stream, prefix string, to []string, calls []apiCall) {
		for _, c := range calls {
			out = append(out, share{from: from, subject: natsjs.DefaultAPIPrefix + "." + c.subject, service: true, many: c.many,
				to: to, as: prefix + "." + c.subject})
		}
	}
	api(AccountLedger, n.Stream, natsjs.StreamAPIPrefix, readers, readAPI(n.Stream))
	// The projector follows the stream with ordered consumers; clients
	// read it with direct gets only (readAPI).
	api(AccountLedger, n.Stream, natsjs.StreamAPIPrefix, []string{AccountViews}, consumeAPI(n.Stream))
	for _, s := range readViews {
		api(AccountViews, s, natsjs.ViewsAPIPrefix, clients, readAPI(s))
	}
	return out
}

// q quotes a value: a double-quoted string is taken literally (a bare $
// would start a variable).
func q(s string) string { return `"` + s + `"` }

// list writes an allow and a deny list, one subject a line.
func list(allow, deny []string) string {
	var b strings.Builder
	b.WriteString("{\n")
	for _, l := range []struct {
		name string
		subs []string
	}{{"allow", allow}, {"deny", deny}} {
		if len(l.subs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "            %s: [\n", l.name)
		for _, s := range l.subs {
			fmt.Fprintf(&b, "              %s\n", q(s))
		}
		b.WriteString("            ]\n")
	}
	b.WriteString("          }")
	return b.String()
}

// SeedFile returns the path of role's seed in dir.
func SeedFile(dir string, role Role) string { return filepath.Join(dir, string(role)+".nk") }

// ClerkSeedFile returns the path of the named clerk's seed in dir.
func ClerkSeedFile(dir, name string) string { return filepath.Join(dir, "clerk."+name+".nk") }

// Result is what Generate wrote.
type Result struct {
	Config    string            // the configuration's path
	UsersFile string            // the path of UsersFile
	Users     Users             // each role's public key
	Clerks    map[string]string // each named clerk's public key
	// Created lists the seed files written by this call, by who they are
	// for: a role ("clerk") or a named clerk ("clerk.alice").
	Created map[string]string
	// Seeds lists every seed file, written or kept, by who it is for.
	Seeds map[string]string
}

// Generate writes the configuration for o into dir (ConfigFile, or
// o.File) and a seed file per role (ROLE.nk, mode 0600) and per named
// clerk (clerk.NAME.nk). An existing seed is kept, so that running
// Generate again only rewrites the configuration; those in rotate (roles,
// or named clerks as clerk.NAME) get a new seed, which replaces the old
// one. A named clerk left out of o.Clerks is left out of the
// configuration: its key no longer logs in.
func Generate(dir string, o Options, rotate ...string) (Result, error) {
	// Bad options are reported before anything is read or written.
	if err := o.withDefaults().check(); err != nil {
		return Result{}, err
	}
	type seedOf struct {
		who  string // the role, or clerk.NAME
		role Role
		name string // the clerk's name, if named
		path string
	}
	seedDir := func(role Role) string {
		if d, ok := o.SeedDirs[role]; ok {
			return d
		}
		return dir
	}
	var all []seedOf
	for _, role := range Roles {
		all = append(all, seedOf{string(role), role, "", SeedFile(seedDir(role), role)})
	}
	for _, c := range o.Clerks {
		all = append(all, seedOf{"clerk." + c, RoleClerk, c, ClerkSeedFile(seedDir(RoleClerk), c)})
	}
	renew := map[string]bool{}
	for _, r := range rotate {
		if !slices.ContainsFunc(all, func(s seedOf) bool { return s.who == r }) {
			if _, err := ParseRole(r); err != nil && !strings.HasPrefix(r, "clerk.") {
				return Result{}, fmt.Errorf("--rotate: %w (or clerk.NAME for a named clerk)", err)
			}
			return Result{}, fmt.Errorf("--rotate %s: no such clerk (name it with --clerks too)", r)
		}
		renew[r] = true
	}
	for _, d := range append([]string{dir}, slices.Collect(maps.Values(o.SeedDirs))...) {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return Result{}, fmt.Errorf("output directory %s: %w", d, err)
		}
	}
	res := Result{Config: filepath.Join(dir, ConfigFile), Users: Users{}, Clerks: map[string]string{}, Created: map[string]string{}, Seeds: map[string]string{}}
	if o.File != "" {
		res.Config = o.File
	}
	seeds := map[string][]byte{}
	for _, u := range all {
		data, err := os.ReadFile(u.path)
		var pub string
		switch {
		case err == nil && !renew[u.who]:
			kp, err := nkeys.ParseDecoratedNKey(data)
			if err != nil {
				return Result{}, fmt.Errorf("%s does not hold an nkey seed (%v): remove it, or rotate it (--rotate %s)", u.path, err, u.who)
			}
			pub, err = kp.PublicKey()
			if err != nil || !nkeys.IsValidPublicUserKey(pub) {
				return Result{}, fmt.Errorf("%s holds no user seed (SU...): remove it, or rotate it (--rotate %s)", u.path, u.who)
			}
		case err == nil || errors.Is(err, fs.ErrNotExist):
			kp, err := nkeys.CreateUser()
			if err != nil {
				return Result{}, err
			}
			seeds[u.who], _ = kp.Seed()
			pub, _ = kp.PublicKey()
		default:
			return Result{}, fmt.Errorf("read %s: %w", u.path, err)
		}
		if u.name == "" {
			res.Users[u.role] = pub
		} else {
			res.Clerks[u.name] = pub
		}
		res.Seeds[u.who] = u.path
	}
	conf, err := Render(o, res.Users, res.Clerks)
	if err != nil {
		return Result{}, err
	}
	// Seeds first: a configuration never names a key whose seed is lost.
	for _, u := range all {
		seed, ok := seeds[u.who]
		if !ok {
			continue
		}
		if err := writeFile(u.path, append(seed, '\n'), 0o600); err != nil {
			return Result{}, err
		}
		res.Created[u.who] = u.path
	}
	if err := writeFile(res.Config, []byte(conf), 0o644); err != nil {
		return Result{}, err
	}
	names := map[string]string{}
	for role, pub := range res.Users {
		names[pub] = string(role)
	}
	for name, pub := range res.Clerks {
		names[pub] = name
	}
	data, _ := json.MarshalIndent(names, "", "  ")
	res.UsersFile = filepath.Join(dir, UsersFile)
	if err := writeFile(res.UsersFile, append(data, '\n'), 0o644); err != nil {
		return Result{}, err
	}
	return res, nil
}

// LoadUsers reads a UsersFile: user public keys (U...) and their names.
// An empty path is no file, and no names.
func LoadUsers(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w (give the %s that 'ledger nats-config' wrote)", err, UsersFile)
	}
	var names map[string]string
	if err := json.Unmarshal(data, &names); err != nil {
		return nil, fmt.Errorf("users file %s is not a JSON object of public keys and names: %v", path, err)
	}
	for pub, name := range names {
		if !nkeys.IsValidPublicUserKey(pub) {
			return nil, fmt.Errorf("users file %s: %q is not a user's public key (U...)", path, pub)
		}
		if name == "" || strings.ContainsAny(name, "@ \t\n") {
			return nil, fmt.Errorf("users file %s: the name of %s is %q: give a name without spaces or @", path, pub, name)
		}
	}
	return names, nil
}

// writeFile replaces path with data atomically (a temporary file renamed).
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := atomicfile.Write(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
