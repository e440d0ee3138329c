package natsauth

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	// URLs, every node of the cluster) make the server a cluster node.
	ClusterName   string
	ClusterListen string
	Routes        []string
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
	if len(p) > 0 {
		return errors.New(strings.Join(p, "; "))
	}
	return nil
}

// Users maps each role to its nkey user's public key (U...).
type Users map[Role]string

// Render returns the configuration for o with the given users; each role
// with a user gets its permissions. It holds no secret.
func Render(o Options, users Users) (string, error) {
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
		if len(o.Routes) > 0 {
			w("  routes: [\n")
			for _, r := range o.Routes {
				w("    %s\n", q(r))
			}
			w("  ]\n")
		}
		w("}\n")
	}
	w("\nauthorization {\n  users: [\n")
	for _, role := range Roles {
		pub, ok := users[role]
		if !ok {
			continue
		}
		if !nkeys.IsValidPublicUserKey(pub) {
			return "", fmt.Errorf("the %s user's key %q is not an nkey user public key (U...)", role, pub)
		}
		perms, err := PermissionsOf(role, o.Names, pub)
		if err != nil {
			return "", err
		}
		w("    # %s\n", role)
		w("    {\n      nkey: %s\n      permissions: {\n", pub)
		w("        publish: %s\n", list(perms.PubAllow, perms.PubDeny))
		w("        subscribe: %s\n", list(perms.SubAllow, perms.SubDeny))
		if perms.AllowResponses {
			w("        allow_responses: true\n")
		}
		w("      }\n    }\n")
	}
	w("  ]\n}\n")
	return b.String(), nil
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
		fmt.Fprintf(&b, "          %s: [\n", l.name)
		for _, s := range l.subs {
			fmt.Fprintf(&b, "            %s\n", q(s))
		}
		b.WriteString("          ]\n")
	}
	b.WriteString("        }")
	return b.String()
}

// SeedFile returns the path of role's seed in dir.
func SeedFile(dir string, role Role) string { return filepath.Join(dir, string(role)+".nk") }

// Result is what Generate wrote.
type Result struct {
	Config  string          // the configuration's path
	Users   Users           // each role's public key
	Created map[Role]string // the seed files written by this call
}

// Generate writes the configuration for o into dir (ConfigFile) and a seed
// file per role (ROLE.nk, mode 0600). An existing seed is kept, so that
// running Generate again only rewrites the configuration; the roles in
// rotate get a new seed, which replaces the old one.
func Generate(dir string, o Options, rotate ...Role) (Result, error) {
	// Bad options are reported before anything is read or written.
	if err := o.withDefaults().check(); err != nil {
		return Result{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Result{}, fmt.Errorf("output directory %s: %w", dir, err)
	}
	renew := map[Role]bool{}
	for _, r := range rotate {
		if _, err := ParseRole(string(r)); err != nil {
			return Result{}, err
		}
		renew[r] = true
	}
	res := Result{Config: filepath.Join(dir, ConfigFile), Users: Users{}, Created: map[Role]string{}}
	seeds := map[Role][]byte{}
	for _, role := range Roles {
		path := SeedFile(dir, role)
		data, err := os.ReadFile(path)
		switch {
		case err == nil && !renew[role]:
			kp, err := nkeys.ParseDecoratedNKey(data)
			if err != nil {
				return Result{}, fmt.Errorf("%s does not hold an nkey seed (%v): remove it, or rotate the role (--rotate %s)", path, err, role)
			}
			pub, err := kp.PublicKey()
			if err != nil || !nkeys.IsValidPublicUserKey(pub) {
				return Result{}, fmt.Errorf("%s holds no user seed (SU...): remove it, or rotate the role (--rotate %s)", path, role)
			}
			res.Users[role] = pub
		case err == nil || errors.Is(err, fs.ErrNotExist):
			kp, err := nkeys.CreateUser()
			if err != nil {
				return Result{}, err
			}
			seed, _ := kp.Seed()
			pub, _ := kp.PublicKey()
			seeds[role], res.Users[role] = seed, pub
		default:
			return Result{}, fmt.Errorf("read %s: %w", path, err)
		}
	}
	conf, err := Render(o, res.Users)
	if err != nil {
		return Result{}, err
	}
	// Seeds first: a configuration never names a key whose seed is lost.
	for _, role := range Roles {
		seed, ok := seeds[role]
		if !ok {
			continue
		}
		path := SeedFile(dir, role)
		if err := writeFile(path, append(seed, '\n'), 0o600); err != nil {
			return Result{}, err
		}
		res.Created[role] = path
	}
	if err := writeFile(res.Config, []byte(conf), 0o644); err != nil {
		return Result{}, err
	}
	return res, nil
}

// writeFile replaces path with data atomically (a temporary file renamed).
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
