package natsauth_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/nats-io/nats-server/v2/server"
)

// mustGenerate writes a configuration into a new directory.
func mustGenerate(tb testing.TB, o natsauth.Options, rotate ...string) (string, natsauth.Result) {
	tb.Helper()
	dir := tb.TempDir()
	if o.StoreDir == "" {
		o.StoreDir = filepath.Join(dir, "jetstream")
	}
	res, err := natsauth.Generate(dir, o, rotate...)
	if err != nil {
		tb.Fatal(err)
	}
	return dir, res
}

// TestGeneratedConfigParses checks the configuration with nats-server's
// own parser: one nkey user per role, no passwords, the permissions of
// PermissionsOf, JetStream and TLS as asked.
func TestGeneratedConfigParses(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	testkit.WriteTLS(t, dir) // ca.pem, server.pem, server-key.pem
	_, res := mustGenerate(t, natsauth.Options{Port: 14222, MonitorPort: 18222, TLSCert: cert, TLSKey: key,
		ClusterName: "lexledger", ClusterListen: "127.0.0.1:16222", Routes: []string{"nats-route://127.0.0.1:16222"}})
	opts, err := server.ProcessConfigFile(res.Config)
	if err != nil {
		t.Fatalf("nats-server cannot parse the configuration: %v", err)
	}
	if !opts.JetStream || !opts.SyncAlways || opts.StoreDir == "" {
		t.Errorf("JetStream %v, sync always %v, store %q: want JetStream with sync always and a store", opts.JetStream, opts.SyncAlways, opts.StoreDir)
	}
	if opts.Host != "127.0.0.1" || opts.Port != 14222 || opts.HTTPPort != 18222 {
		t.Errorf("listens on %s:%d (monitor %d), want 127.0.0.1:14222 (18222)", opts.Host, opts.Port, opts.HTTPPort)
	}
	if opts.TLSConfig == nil {
		t.Error("the client port has no TLS though a certificate was given")
	}
	if opts.Cluster.Name != "lexledger" || opts.Cluster.Port != 16222 || len(opts.Routes) != 1 {
		t.Errorf("cluster %q port %d routes %v, want lexledger on 16222 with one route", opts.Cluster.Name, opts.Cluster.Port, opts.Routes)
	}
	if opts.Cluster.PingInterval != 2*time.Second || opts.Cluster.MaxPingsOut != natsauth.RoutePingMax {
		t.Errorf("routes pinged every %s, closed after %d unanswered, want every 2s, closed after %d", opts.Cluster.PingInterval, opts.Cluster.MaxPingsOut, natsauth.RoutePingMax)
	}
	if len(opts.Users) != 0 {
		t.Errorf("the configuration has %d password users, want none", len(opts.Users))
	}
	if len(opts.Nkeys) != len(natsauth.Roles) {
		t.Fatalf("the configuration has %d nkey users, want one per role (%d)", len(opts.Nkeys), len(natsauth.Roles))
	}
	byKey := map[string]*server.NkeyUser{}
	for _, u := range opts.Nkeys {
		byKey[u.Nkey] = u
	}
	for _, role := range natsauth.Roles {
		u := byKey[res.Users[role]]
		if u == nil {
			t.Errorf("role %s: no user with its key %s", role, res.Users[role])
			continue
		}
		want, _ := natsauth.PermissionsOf(role, natsauth.Names{}, res.Users[role])
		got := u.Permissions
		if got == nil || got.Publish == nil || got.Subscribe == nil {
			t.Errorf("role %s has no publish or subscribe permissions", role)
			continue
		}
		if !slices.Equal(got.Publish.Allow, want.PubAllow) || !slices.Equal(got.Publish.Deny, want.PubDeny) {
			t.Errorf("role %s publish: allow %v deny %v, want allow %v deny %v", role, got.Publish.Allow, got.Publish.Deny, want.PubAllow, want.PubDeny)
		}
		if !slices.Equal(got.Subscribe.Allow, want.SubAllow) {
			t.Errorf("role %s subscribe: allow %v, want %v", role, got.Subscribe.Allow, want.SubAllow)
		}
		if (got.Response != nil) != want.AllowResponses {
			t.Errorf("role %s: allow_responses is %v, want %v", role, got.Response != nil, want.AllowResponses)
		}
	}
}

// TestOnlyLedgerPublishesEvents checks the rule that matters most on the
// permissions themselves: lex.events.> and the claims of event ids
// (lex.ids.>) are allowed to the ledger and admin only, and the update,
// purge and delete of their streams to admin only.
func TestOnlyLedgerPublishesEvents(t *testing.T) {
	for _, role := range natsauth.Roles {
		p, err := natsauth.PermissionsOf(role, natsauth.Names{}, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, subj := range []string{"lex.events.kz.act.2009-12-04.216", "$JS.API.STREAM.UPDATE.LEX", "$JS.API.STREAM.PURGE.LEX",
			"$JS.API.STREAM.DELETE.LEX", "$JS.API.STREAM.MSG.DELETE.LEX",
			"lex.ids.01M8AAWX5201A3NTNNVVHR2XPV", "$JS.API.STREAM.UPDATE.LEX_IDS", "$JS.API.STREAM.PURGE.LEX_IDS",
			"$JS.API.STREAM.DELETE.LEX_IDS", "$JS.API.STREAM.MSG.DELETE.LEX_IDS"} {
			got := allowed(p, subj)
			want := role == natsauth.RoleAdmin || role == natsauth.RoleLedger && (strings.HasPrefix(subj, "lex.events.") || strings.HasPrefix(subj, "lex.ids."))
			if got != want {
				t.Errorf("%s may publish on %s: %v, want %v", role, subj, got, want)
			}
		}
	}
}

// allowed applies the server's rule: an allow entry matches and no deny
// entry does.
func allowed(p natsauth.Permissions, subject string) bool {
	match := func(list []string) bool {
		return slices.ContainsFunc(list, func(f string) bool { return server.SubjectsCollide(f, subject) })
	}
	return match(p.PubAllow) && !match(p.PubDeny)
}

// TestGenerateKeepsAndRotatesSeeds: seeds are private (0600), a second run
// keeps them, and a rotation replaces only the rotated role's key.
func TestGenerateKeepsAndRotatesSeeds(t *testing.T) {
	dir, first := mustGenerate(t, natsauth.Options{})
	for _, role := range natsauth.Roles {
		fi, err := os.Stat(natsauth.SeedFile(dir, role))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s's seed file has mode %v, want 0600", role, fi.Mode().Perm())
		}
	}
	conf, _ := os.ReadFile(first.Config)
	for _, role := range natsauth.Roles {
		seed, _ := os.ReadFile(natsauth.SeedFile(dir, role))
		if strings.Contains(string(conf), strings.TrimSpace(string(seed))) {
			t.Errorf("the configuration holds %s's seed", role)
		}
	}
	o := natsauth.Options{StoreDir: filepath.Join(dir, "jetstream")}
	again, err := natsauth.Generate(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Created) != 0 {
		t.Errorf("a second run wrote seeds %v, want none", again.Created)
	}
	rotated, err := natsauth.Generate(dir, o, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range natsauth.Roles {
		same := rotated.Users[role] == first.Users[role]
		if same == (role == natsauth.RoleClerk) {
			t.Errorf("after rotating the clerk, %s's key changed: %v", role, !same)
		}
	}
	conf, _ = os.ReadFile(rotated.Config)
	if strings.Contains(string(conf), first.Users[natsauth.RoleClerk]) || !strings.Contains(string(conf), rotated.Users[natsauth.RoleClerk]) {
		t.Error("the configuration does not name the clerk's new key instead of the old one")
	}
}

// TestBadOptions: each mistake is named with what to do.
func TestBadOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		o    natsauth.Options
		want string
	}{
		{"no store", natsauth.Options{}, "--store"},
		{"half TLS", natsauth.Options{StoreDir: "/s", TLSCert: "c.pem"}, "--tls-key"},
		{"bad host", natsauth.Options{StoreDir: "/s", Host: "my host"}, "not an IP address"},
		{"bad port", natsauth.Options{StoreDir: "/s", Port: 70000}, "between 1 and 65535"},
		{"routes without cluster", natsauth.Options{StoreDir: "/s", Routes: []string{"nats-route://a:6222"}}, "--cluster-name"},
		{"bad route", natsauth.Options{StoreDir: "/s", ClusterName: "c", ClusterListen: "0.0.0.0:6222", Routes: []string{"a:6222"}}, "nats-route://"},
		{"quote in path", natsauth.Options{StoreDir: `/s"x`}, "quote"},
		{"stream named as a view", natsauth.Options{StoreDir: "/s", Names: natsauth.Names{Stream: "LEX_NOTICES"}}, "projector's streams"},
		{"clerk with a capital", natsauth.Options{StoreDir: "/s", Clerks: []string{"Alice"}}, "lower-case letters"},
		{"clerk with a dot", natsauth.Options{StoreDir: "/s", Clerks: []string{"a.b"}}, "lower-case letters"},
		{"clerk named as a role", natsauth.Options{StoreDir: "/s", Clerks: []string{"ledger"}}, "a role's name"},
		{"clerk twice", natsauth.Options{StoreDir: "/s", Clerks: []string{"alice", "alice"}}, "named twice"},
		{"wildcard stream", natsauth.Options{StoreDir: "/s", Names: natsauth.Names{Stream: "*"}}, "stream name"},
		{"dotted stream", natsauth.Options{StoreDir: "/s", Names: natsauth.Names{Stream: "LEX.A"}}, "stream name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := natsauth.Render(c.o, natsauth.Users{}, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got error %v, want one that says %q", err, c.want)
			}
		})
	}
	if _, err := natsauth.ParseRole("janitor"); err == nil || !strings.Contains(err.Error(), "clerk") {
		t.Errorf("ParseRole(janitor) = %v, want an error listing the roles", err)
	}
	dir := t.TempDir()
	os.WriteFile(natsauth.SeedFile(dir, natsauth.RoleClerk), []byte("not a seed\n"), 0o600)
	if _, err := natsauth.Generate(dir, natsauth.Options{StoreDir: dir}); err == nil || !strings.Contains(err.Error(), "--rotate clerk") {
		t.Errorf("Generate over a broken seed file: %v, want an error that says to rotate the clerk", err)
	}
}

// TestNamedClerks: each named clerk gets a user of the clerk's rights in
// the clients' account, a seed of its own, and its name in users.json; a
// rotation of one replaces its key only; one left out no longer logs in.
func TestNamedClerks(t *testing.T) {
	dir, first := mustGenerate(t, natsauth.Options{Clerks: []string{"alice", "bob"}})
	opts, err := server.ProcessConfigFile(first.Config)
	if err != nil {
		t.Fatalf("nats-server cannot parse the configuration: %v", err)
	}
	if len(opts.Nkeys) != len(natsauth.Roles)+2 {
		t.Fatalf("%d nkey users, want one per role and two clerks (%d)", len(opts.Nkeys), len(natsauth.Roles)+2)
	}
	byKey := map[string]*server.NkeyUser{}
	for _, u := range opts.Nkeys {
		byKey[u.Nkey] = u
	}
	names, err := natsauth.LoadUsers(first.UsersFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob"} {
		pub := first.Clerks[name]
		u := byKey[pub]
		if u == nil {
			t.Errorf("clerk %s: no user with its key %q", name, pub)
			continue
		}
		want, _ := natsauth.PermissionsOf(natsauth.RoleClerk, natsauth.Names{}, pub)
		if u.Account == nil || u.Account.Name != natsauth.AccountClients || !slices.Equal(u.Permissions.Publish.Allow, want.PubAllow) {
			t.Errorf("clerk %s: account %v, publish %v; want %s and the clerk's %v", name, u.Account, u.Permissions.Publish.Allow, natsauth.AccountClients, want.PubAllow)
		}
		if fi, err := os.Stat(natsauth.ClerkSeedFile(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("clerk %s's seed file: %v, want mode 0600", name, err)
		}
		if names[pub] != name {
			t.Errorf("users.json names %s's key %q, want %q", name, names[pub], name)
		}
	}
	o := natsauth.Options{StoreDir: filepath.Join(dir, "jetstream"), Clerks: []string{"alice", "bob"}}
	rotated, err := natsauth.Generate(dir, o, "clerk.alice")
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Clerks["alice"] == first.Clerks["alice"] || rotated.Clerks["bob"] != first.Clerks["bob"] || rotated.Users[natsauth.RoleClerk] != first.Users[natsauth.RoleClerk] {
		t.Error("rotating clerk.alice did not replace alice's key alone")
	}
	if _, err := natsauth.Generate(dir, o, "clerk.carol"); err == nil || !strings.Contains(err.Error(), "no such clerk") {
		t.Errorf("rotating an unknown clerk: %v, want an error that says there is no such clerk", err)
	}
	o.Clerks = []string{"alice"}
	without, err := natsauth.Generate(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if conf, _ := os.ReadFile(without.Config); strings.Contains(string(conf), first.Clerks["bob"]) {
		t.Error("bob's key is still in the configuration after he was left out")
	}
}

// TestSeedDirs: a role's seed goes to the directory named for it, and only
// there; a second run keeps it.
func TestSeedDirs(t *testing.T) {
	dir, adm := t.TempDir(), filepath.Join(t.TempDir(), "admin")
	o := natsauth.Options{StoreDir: filepath.Join(dir, "jetstream"), Clerks: []string{"alice"},
		SeedDirs: map[natsauth.Role]string{natsauth.RoleAdmin: adm, natsauth.RoleClerk: filepath.Join(dir, "clients")}}
	first, err := natsauth.Generate(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	for who, want := range map[string]string{
		"admin":       natsauth.SeedFile(adm, natsauth.RoleAdmin),
		"clerk":       natsauth.SeedFile(filepath.Join(dir, "clients"), natsauth.RoleClerk),
		"clerk.alice": natsauth.ClerkSeedFile(filepath.Join(dir, "clients"), "alice"),
		"ledger":      natsauth.SeedFile(dir, natsauth.RoleLedger),
	} {
		if first.Seeds[who] != want {
			t.Errorf("%s's seed is at %s, want %s", who, first.Seeds[who], want)
		}
		if _, err := os.Stat(want); err != nil {
			t.Errorf("%s's seed: %v", who, err)
		}
	}
	if _, err := os.Stat(natsauth.SeedFile(dir, natsauth.RoleAdmin)); err == nil {
		t.Error("admin's seed is also in the configuration's directory")
	}
	again, err := natsauth.Generate(dir, o)
	if err != nil || len(again.Created) != 0 || again.Users[natsauth.RoleAdmin] != first.Users[natsauth.RoleAdmin] {
		t.Errorf("a second run: %v, wrote %v; want every seed kept", err, again.Created)
	}
	o.SeedDirs = map[natsauth.Role]string{"janitor": adm}
	if _, err := natsauth.Generate(dir, o); err == nil || !strings.Contains(err.Error(), "janitor") {
		t.Errorf("a seed directory for an unknown role: %v, want an error naming it", err)
	}
}
