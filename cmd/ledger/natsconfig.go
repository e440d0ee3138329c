package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
)

// runNATSConfig writes a nats-server configuration with one nkey user per
// role, and the roles' seed files, into a directory.
func runNATSConfig(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("nats-config", "ledger nats-config [flags] DIR", stderr)
	store := fs.String("store", "", "JetStream's store directory on the server (default DIR/jetstream)")
	host := fs.String("host", natsauth.DefaultHost, "address of the client listener (0.0.0.0 for every interface)")
	port := fs.Int("port", natsauth.DefaultPort, "client port")
	monitor := fs.Int("monitor-port", 0, "HTTP monitoring port (/healthz, /jsz) on the same address; 0: none")
	name := fs.String("server-name", natsauth.DefaultServerName, "the server's name (unique in a cluster)")
	stream := fs.String("stream", natsjs.DefaultStream, "the ledger's stream, as 'ledger serve --stream' names it")
	tlsCert := fs.String("tls-cert", "", "PEM certificate of the server: the client port then takes TLS connections only (clients trust its CA with --nats-ca)")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	clusterName := fs.String("cluster-name", "", "make the server a cluster node of this cluster")
	clusterListen := fs.String("cluster-listen", "", "host:port of the cluster listener, such as 0.0.0.0:6222")
	routes := fs.String("routes", "", "comma-separated routes to every node, such as nats-route://nats1:6222,nats-route://nats2:6222")
	seedDirs := fs.String("seed-dirs", "", "comma-separated ROLE=DIR: write those roles' seeds into directories of their own (the named clerks' with clerk), so that each service is given its own seed and no other; the rest stay in DIR")
	file := fs.String("config", "", "write the configuration to this file instead of DIR/nats.conf: each node of a cluster gets its own, beside the seeds they share")
	clerks := fs.String("clerks", "", "comma-separated names of clerks who each get a user and seed of their own (clerk.NAME.nk), so that their commands over NATS are recorded as NAME@nats; give the same list on every run")
	rotate := fs.String("rotate", "", "comma-separated roles, or named clerks as clerk.NAME, whose seeds are replaced by new ones (key rotation); other seeds in DIR are kept")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("nats-config takes one directory, where it writes nats.conf and a seed file per role; got %d arguments", fs.NArg())
	}
	dir := fs.Arg(0)
	dirs := map[natsauth.Role]string{}
	for _, kv := range splitList(*seedDirs) {
		r, d, ok := strings.Cut(kv, "=")
		role, err := natsauth.ParseRole(r)
		if !ok || err != nil || d == "" {
			return fmt.Errorf("--seed-dirs %q: give ROLE=DIR, such as admin=/secure/admin (roles: ledger, projector, clerk, auditor, subscriber, admin)", kv)
		}
		dirs[role] = abs(d)
	}
	if *store == "" {
		*store = filepath.Join(dir, "jetstream")
	}
	o := natsauth.Options{
		Names: natsauth.Names{Stream: *stream}, ServerName: *name, Host: *host, Port: *port, MonitorPort: *monitor,
		StoreDir: abs(*store), TLSCert: abs(*tlsCert), TLSKey: abs(*tlsKey),
		ClusterName: *clusterName, ClusterListen: *clusterListen, Routes: splitList(*routes), File: abs(*file),
		Clerks: splitList(*clerks), SeedDirs: dirs,
	}
	if *port == 0 {
		return fmt.Errorf("--port 0: give the client port the server listens on, such as %d", natsauth.DefaultPort)
	}
	res, err := natsauth.Generate(dir, o, splitList(*rotate)...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", res.Config, res.UsersFile)
	for _, role := range natsauth.Roles {
		what := "kept"
		if _, ok := res.Created[string(role)]; ok {
			what = "new"
		}
		fmt.Fprintf(stdout, "  %-10s %s  %s (%s)\n", role, res.Users[role], res.Seeds[string(role)], what)
	}
	for _, name := range o.Clerks {
		what := "kept"
		if _, ok := res.Created["clerk."+name]; ok {
			what = "new"
		}
		fmt.Fprintf(stdout, "  clerk %-4s %s  %s (%s)\n", name, res.Clerks[name], res.Seeds["clerk."+name], what)
	}
	scheme := "nats"
	if o.TLSCert != "" {
		scheme = "tls"
	}
	fmt.Fprintf(stdout, "start:   nats-server --config %s   (after a rotation: nats-server --signal reload)\n", res.Config)
	url, replicas := fmt.Sprintf("%s://%s:%d", scheme, *host, *port), ""
	if o.ClusterName != "" {
		// Every node's client URL, so that a client goes on when this one
		// is down, and the stream replicated on up to three of them.
		url += ",… (every node's client URL)"
		replicas = fmt.Sprintf(" --replicas %d", min(3, max(1, len(o.Routes))))
	}
	fmt.Fprintf(stdout, "connect: ledger serve --nats-url %s%s --nats-nkey %s --nats-users %s\n", url, replicas, res.Seeds[string(natsauth.RoleLedger)], res.UsersFile)
	fmt.Fprintf(stdout, "         projector serve --nats-url %s%s --nats-nkey %s\n", url, replicas, res.Seeds[string(natsauth.RoleProjector)])
	fmt.Fprintf(stdout, "natscli: nats --nkey %s --inbox-prefix %s ...   (each role's inbox is _INBOX.<its public key>;\n"+
		"         readers add --js-api-prefix '%s' for the stream, '%s' for the views)\n",
		res.Seeds[string(natsauth.RoleClerk)], natsauth.InboxPrefix(res.Users[natsauth.RoleClerk]), natsjs.StreamAPIPrefix, natsjs.ViewsAPIPrefix)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// abs makes a path absolute, so that the configuration works from any
// directory; empty stays empty.
func abs(p string) string {
	if p == "" {
		return p
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
