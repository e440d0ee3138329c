package deploy_test

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"
)

const root = ".." // the repository's root, from this package

// loadCompose loads docker-compose.yml as docker compose would.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

// binaryOf names the binary a service runs: its build target, which is the
// Dockerfile stage whose entrypoint is that binary.
func binaryOf(s types.ServiceConfig) string {
	if s.Build != nil {
		return s.Build.Target
	}
	if strings.HasPrefix(s.Image, "nats:") {
		return "nats-server"
	}
	return ""
}

// configService reports whether s is a one-shot that writes a node's
// configuration (ledger nats-config) rather than a server.
func configService(s types.ServiceConfig) bool {
	return binaryOf(s) == "ledger" && len(s.Command) > 0 && s.Command[0] == "nats-config"
}

// witnessService reports whether s runs a witness (ledger witness) rather
// than a ledger.
func witnessService(s types.ServiceConfig) bool {
	return binaryOf(s) == "ledger" && len(s.Command) > 0 && s.Command[0] == "witness"
}

// servicesOf returns the servers that run bin, sorted by name; "nats-config"
// returns the services that write the nodes' configurations, "witness" the
// witnesses.
func servicesOf(p *types.Project, bin string) []types.ServiceConfig {
	var out []types.ServiceConfig
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range p.Services {
			if !yield(n) {
				return
			}
		}
	}) {
		s := p.Services[name]
		var ok bool
		switch bin {
		case "nats-config":
			ok = configService(s)
		case "witness":
			ok = witnessService(s)
		default:
			ok = !configService(s) && !witnessService(s) && binaryOf(s) == bin
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// The compose file loads, and holds three NATS nodes with JetStream, sync
// always, routes to each other and the accounts and nkey users of `ledger
// nats-config` (run here as the file runs it), two ledgers and two
// projectors logged in with their roles' seeds, each server with a health
// check, started only once the nodes are healthy, and a witness whose
// directory is a volume of its own.
func TestComposeTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ledger to run its nats-config commands")
	}
	p := loadCompose(t)
	natsNodes, ledgers, projectors := servicesOf(p, "nats-server"), servicesOf(p, "ledger"), servicesOf(p, "projector")
	configs, witnesses := servicesOf(p, "nats-config"), servicesOf(p, "witness")
	if len(natsNodes) != 3 || len(ledgers) != 2 || len(projectors) != 2 || len(configs) != 3 || len(witnesses) != 1 || len(p.Services) != 11 {
		t.Fatalf("got %d NATS nodes, %d ledgers, %d projectors, %d configuration writers and %d witnesses in %d services, want 3, 2, 2, 3 and 1 in 11",
			len(natsNodes), len(ledgers), len(projectors), len(configs), len(witnesses), len(p.Services))
	}
	for _, s := range witnesses {
		flags := commandFlags(s.Command)
		if !onNamedVolume(p, s, flags["dir"]) {
			t.Errorf("%s keeps its key and state in %q, which is not on a volume of its own: the witness's state must outlive the container and be no one else's", s.Name, flags["dir"])
		}
		_, port, _ := strings.Cut(flags["listen"], ":")
		if hc := strings.Join(s.HealthCheck.Test, " "); port == "" || !strings.Contains(hc, "localhost:"+port+"/healthz") {
			t.Errorf("%s serves on %q but its health check is %q", s.Name, flags["listen"], hc)
		}
	}
	written := writeConfigs(t, p, configs)
	for _, s := range p.Services {
		if configService(s) {
			if s.Restart != "no" {
				t.Errorf("%s writes a configuration once, but restarts %q", s.Name, s.Restart)
			}
			continue
		}
		h := s.HealthCheck
		if h == nil || h.Disable || len(h.Test) < 2 || h.Test[0] != "CMD" {
			t.Errorf("service %s has no health check run as a command: %+v", s.Name, h)
		}
	}
	var nodes []string
	for _, s := range natsNodes {
		nodes = append(nodes, s.Name)
	}
	wantRoutes := map[string]bool{}
	for _, n := range nodes {
		wantRoutes[n+":6222"] = true
	}
	version := moduleVersion(t, "github.com/nats-io/nats-server/v2")
	names := map[string]bool{}
	for _, s := range natsNodes {
		if want := "nats:" + strings.TrimPrefix(version, "v") + "-alpine"; s.Image != want {
			t.Errorf("%s runs %s, want %s: the pinned official image of the nats-server the tests run (go.mod)", s.Name, s.Image, want)
		}
		o := natsOptions(t, s, written)
		if o == nil {
			continue
		}
		var accounts []string
		for _, a := range o.Accounts {
			accounts = append(accounts, a.Name)
		}
		if slices.Sort(accounts); !slices.Equal(accounts, []string{"CLIENTS", "LEDGER", "VIEWS"}) || len(o.Nkeys) != 6 {
			t.Errorf("%s has accounts %v and %d nkey users, want CLIENTS, LEDGER and VIEWS with one user per role (6)", s.Name, accounts, len(o.Nkeys))
		}
		if !dependsOnCompletion(s, configs[len(configs)-1].Name) {
			t.Errorf("%s does not wait for the last configuration writer to complete: %+v", s.Name, s.DependsOn)
		}
		names[o.ServerName] = true
		if o.ServerName != s.Name {
			t.Errorf("%s calls itself %q", s.Name, o.ServerName)
		}
		if !o.JetStream || !o.SyncAlways {
			t.Errorf("%s: jetstream %v, sync_interval always %v; want both", s.Name, o.JetStream, o.SyncAlways)
		}
		if o.Port != 4222 || o.Cluster.Port != 6222 || o.HTTPPort != 8222 {
			t.Errorf("%s listens on client %d, cluster %d, monitor %d; want 4222, 6222, 8222", s.Name, o.Port, o.Cluster.Port, o.HTTPPort)
		}
		if o.Cluster.Name != "lexledger" {
			t.Errorf("%s is in cluster %q, want lexledger", s.Name, o.Cluster.Name)
		}
		got := map[string]bool{}
		for _, r := range o.Routes {
			got[r.Host] = true
		}
		if fmt.Sprint(got) != fmt.Sprint(wantRoutes) {
			t.Errorf("%s routes to %v, want every node: %v", s.Name, got, wantRoutes)
		}
		if !onNamedVolume(p, s, o.StoreDir) {
			t.Errorf("%s stores JetStream in %s, which is on no named volume of its own", s.Name, o.StoreDir)
		}
		if hc := strings.Join(s.HealthCheck.Test, " "); !strings.Contains(hc, "http://localhost:8222/healthz") {
			t.Errorf("%s's health check %q does not ask the monitor port's /healthz", s.Name, hc)
		}
	}
	if len(names) != 3 {
		t.Errorf("the nodes' server names %v are not three distinct ones", names)
	}
	for _, s := range append(slices.Clone(ledgers), projectors...) {
		for _, n := range nodes {
			if d, ok := s.DependsOn[n]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s does not wait for %s to be healthy: %+v", s.Name, n, s.DependsOn)
			}
		}
		flags := commandFlags(s.Command)
		urls := strings.Split(flags["nats-url"], ",")
		var hosts []string
		for _, u := range urls {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme != "nats" || pu.Port() != "4222" {
				t.Errorf("%s: --nats-url %q is not nats://node:4222", s.Name, u)
				continue
			}
			hosts = append(hosts, pu.Hostname())
		}
		if slices.Sort(hosts); !slices.Equal(hosts, nodes) {
			t.Errorf("%s connects to %v, want every node %v", s.Name, hosts, nodes)
		}
		if flags["replicas"] != "3" {
			t.Errorf("%s creates its stream or buckets with --replicas %q, want 3", s.Name, flags["replicas"])
		}
		_, port, _ := strings.Cut(flags["http"], ":")
		if hc := strings.Join(s.HealthCheck.Test, " "); port == "" || !strings.Contains(hc, "localhost:"+port+"/") {
			t.Errorf("%s serves HTTP on %q but its health check is %q", s.Name, flags["http"], hc)
		}
	}
	for _, s := range ledgers {
		flags := commandFlags(s.Command)
		if flags["projector"] != "false" {
			t.Errorf("%s runs a projector in process: the projectors are services of their own", s.Name)
		}
		if !strings.HasSuffix(flags["nats-nkey"], "/ledger.nk") || !strings.HasSuffix(flags["nats-users"], "/users.json") {
			t.Errorf("%s logs in with %q and names senders with %q; want the ledger role's seed and users.json", s.Name, flags["nats-nkey"], flags["nats-users"])
		}
		checkSecrets(t, p, s, written, flags["nats-nkey"], flags["nats-users"])
	}
	for _, s := range projectors {
		flags := commandFlags(s.Command)
		if !strings.HasSuffix(flags["nats-nkey"], "/projector.nk") {
			t.Errorf("%s logs in with %q, want the projector role's seed", s.Name, flags["nats-nkey"])
		}
		checkSecrets(t, p, s, written, flags["nats-nkey"])
	}
	checkWitnessing(t, p, projectors, witnesses)
	// Each server sees its own role's seed and no other: admin's and the
	// clients' are mounted by none.
	for _, s := range p.Services {
		if configService(s) {
			continue
		}
		own := map[string]string{"ledger": "ledger.nk", "projector": "projector.nk"}[binaryOf(s)]
		for _, v := range s.Volumes {
			dir, ok := written[v.Source]
			if !ok {
				continue
			}
			seeds, _ := filepath.Glob(filepath.Join(dir, "*.nk"))
			for _, f := range seeds {
				if filepath.Base(f) != own {
					t.Errorf("%s mounts %s, which holds %s: a server may see its own seed only", s.Name, v.Source, filepath.Base(f))
				}
			}
		}
	}
	// Each writer after the first waits for the one before: the first
	// writes the seeds, the others keep them.
	for i, s := range configs[1:] {
		if !dependsOnCompletion(s, configs[i].Name) {
			t.Errorf("%s does not wait for %s to complete: %+v", s.Name, configs[i].Name, s.DependsOn)
		}
	}
}

// checkWitnessing: one projector signs, with its key on a volume of its
// own, and submits to every witness, with --witness URL=@FILE: the URL
// is the witness service and its --listen port, and FILE the witness's
// --vkey-out, on a volume the witness writes and the projector mounts
// read-only; the projector waits for the witness to be healthy (its key
// written).
func checkWitnessing(t *testing.T, p *types.Project, projectors, witnesses []types.ServiceConfig) {
	t.Helper()
	var signers []types.ServiceConfig
	for _, s := range projectors {
		if commandFlags(s.Command)["checkpoint-key"] != "" {
			signers = append(signers, s)
		}
	}
	if len(signers) != 1 {
		t.Fatalf("%d projectors sign checkpoints, want 1: two signers of one origin would show the witness two trees", len(signers))
	}
	s := signers[0]
	key := commandFlags(s.Command)["checkpoint-key"]
	if !onNamedVolume(p, s, filepath.Dir(key)) {
		t.Errorf("%s keeps its checkpoint key %s on no volume of its own", s.Name, key)
	}
	var specs []string
	for i, a := range s.Command {
		if a == "--witness" && i+1 < len(s.Command) {
			specs = append(specs, s.Command[i+1])
		}
	}
	if len(specs) != len(witnesses) {
		t.Fatalf("%s submits to %d witnesses (%q), want every one of the %d", s.Name, len(specs), specs, len(witnesses))
	}
	for _, w := range witnesses {
		wflags := commandFlags(w.Command)
		_, port, _ := strings.Cut(wflags["listen"], ":")
		want := "http://" + w.Name + ":" + port + "=@" + wflags["vkey-out"]
		if wflags["vkey-out"] == "" || !slices.Contains(specs, want) {
			t.Errorf("%s's witnesses are %q, want %q: the witness's address and the file its --vkey-out writes", s.Name, specs, want)
		}
		if d, ok := s.DependsOn[w.Name]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s does not wait for %s to be healthy (its verifier key written): %+v", s.Name, w.Name, s.DependsOn)
		}
		dir := filepath.Dir(wflags["vkey-out"])
		var shared string
		for _, v := range w.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Target == dir && !v.ReadOnly {
				shared = v.Source
			}
		}
		if shared == "" || shared == volumeAt(w, wflags["dir"]) {
			t.Errorf("%s writes its verifier key into %s, which is not a writable named volume apart from its state", w.Name, dir)
			continue
		}
		mounted := false
		for _, v := range s.Volumes {
			if v.Source == shared {
				mounted = v.ReadOnly && v.Target == dir
			}
		}
		if !mounted {
			t.Errorf("%s does not mount %s read-only at %s, where it reads the witness's verifier key", s.Name, shared, dir)
		}
	}
}

// volumeAt returns the named volume s mounts at target.
func volumeAt(s types.ServiceConfig, target string) string {
	for _, v := range s.Volumes {
		if v.Target == target {
			return v.Source
		}
	}
	return ""
}

func dependsOnCompletion(s types.ServiceConfig, on string) bool {
	d, ok := s.DependsOn[on]
	return ok && d.Condition == types.ServiceConditionCompletedSuccessfully
}

// written maps each named volume to the directory in which the test wrote
// its files.
type written map[string]string

// writeConfigs runs the configuration writers' commands, in order, with
// the ledger binary, each volume they mount being a temporary directory.
func writeConfigs(t *testing.T, p *types.Project, configs []types.ServiceConfig) written {
	t.Helper()
	w := written{}
	bin := binary(t, "ledger")
	for _, s := range configs {
		args := slices.Clone([]string(s.Command))
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeVolume {
				t.Errorf("%s mounts %s, not a named volume", s.Name, v.Source)
				continue
			}
			if w[v.Source] == "" {
				w[v.Source] = t.TempDir()
			}
			// The target as a whole path, or a path's start, anywhere in
			// an argument (--seed-dirs ROLE=PATH,...).
			re := regexp.MustCompile(regexp.QuoteMeta(v.Target) + `(/|,|$)`)
			for i, a := range args {
				args[i] = re.ReplaceAllString(a, strings.ReplaceAll(w[v.Source], "$", "$$")+"$1")
			}
		}
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: ledger %s: %v\n%s", s.Name, strings.Join(args, " "), err, out)
		}
	}
	return w
}

// local returns where the test wrote the file that s sees at path, on a
// named volume it mounts.
func (w written) local(s types.ServiceConfig, path string) (string, bool) {
	for _, v := range s.Volumes {
		dir, ok := w[v.Source]
		if ok && v.Type == types.VolumeTypeVolume && strings.HasPrefix(path, v.Target+"/") {
			return dir + strings.TrimPrefix(path, v.Target), true
		}
	}
	return "", false
}

// checkSecrets: the files s reads exist where the writers put them, and s
// mounts their volume read-only.
func checkSecrets(t *testing.T, p *types.Project, s types.ServiceConfig, w written, paths ...string) {
	t.Helper()
	for _, path := range paths {
		f, ok := w.local(s, path)
		if !ok {
			t.Errorf("%s reads %s, which is on no volume the configuration writers fill", s.Name, path)
			continue
		}
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s reads %s, which the writers did not write: %v", s.Name, path, err)
		}
	}
	for _, v := range s.Volumes {
		if _, ok := w[v.Source]; ok && !v.ReadOnly {
			t.Errorf("%s mounts the secrets' volume %s writable", s.Name, v.Source)
		}
	}
}

// Every service's command is a subcommand of its binary, and every flag it
// passes is one that `BINARY SUBCOMMAND --help` lists.
func TestComposeCommandsExistInTheBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	p := loadCompose(t)
	for _, s := range p.Services {
		bin := binaryOf(s)
		if bin == "" {
			t.Errorf("service %s runs neither a build target of the Dockerfile nor the nats image", s.Name)
			continue
		}
		args := []string(s.Command)
		if bin == "nats-server" {
			if len(args) == 0 || args[0] != "nats-server" {
				t.Errorf("%s: command %q does not run nats-server", s.Name, args)
				continue
			}
			args = args[1:]
		} else if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			t.Errorf("%s: command %q names no subcommand of %s", s.Name, args, bin)
			continue
		}
		helpArgs := []string{"--help"}
		if bin != "nats-server" {
			helpArgs = []string{args[0], "--help"}
		}
		known := helpFlags(t, binary(t, bin), helpArgs...)
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !known[name] {
				t.Errorf("%s: %s %s has no flag %s (its --help lists %v)", s.Name, bin, strings.Join(helpArgs[:len(helpArgs)-1], " "), a, slices.Sorted(mapKeys(known)))
			}
		}
	}
}

// The Dockerfile builds both binaries statically in golang:1.26 and runs
// each as a non-root user, with its binary as the entrypoint of the stage
// that the compose file builds.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string][]string{} // stage name: its lines
	var cur string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if f := strings.Fields(line); len(f) == 4 && f[0] == "FROM" && strings.EqualFold(f[2], "AS") {
			cur = f[3]
		}
		stages[cur] = append(stages[cur], line)
	}
	all := string(b)
	for _, want := range []string{"FROM golang:1.26 AS build", "CGO_ENABLED=0", "./cmd/ledger", "./cmd/projector"} {
		if !strings.Contains(all, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^USER [1-9][0-9]*`).MatchString(all) {
		t.Error("the Dockerfile sets no non-root USER")
	}
	for _, bin := range []string{"ledger", "projector"} {
		want := fmt.Sprintf(`ENTRYPOINT ["/usr/local/bin/%s"]`, bin)
		if !slices.Contains(stages[bin], want) {
			t.Errorf("stage %s has no %s: %q", bin, want, stages[bin])
		}
	}
	for _, s := range loadCompose(t).Services {
		if configService(s) {
			// The writer runs as the image's user: the volume it writes
			// into starts as the image's directory, which that user owns.
			for _, v := range s.Volumes {
				if want := "install -d -o lex -g lex -m 0700 " + v.Target; !strings.Contains(all, want) {
					t.Errorf("%s writes into %s, which the Dockerfile does not create for its user (%q)", s.Name, v.Target, want)
				}
			}
		}
		if witnessService(s) || commandFlags(s.Command)["checkpoint-key"] != "" {
			// Written by the image's user, as the writers' volumes are.
			for _, v := range s.Volumes {
				if !v.ReadOnly && !regexp.MustCompile(`(?m)install -d -o lex -g lex -m 07[05][05] `+regexp.QuoteMeta(v.Target)+`( |$)`).MatchString(all) {
					t.Errorf("%s writes into %s, which the Dockerfile does not create for its user", s.Name, v.Target)
				}
			}
		}
		if s.Build != nil && stages[s.Build.Target] == nil {
			t.Errorf("%s builds target %q, which the Dockerfile does not have", s.Name, s.Build.Target)
		}
	}
}

// helpFlags runs bin with args (ending in --help) and returns the flag names
// its usage lists: Go's flag package prints "  -name type"; nats-server
// prints "    -a, --addr, --net <host>".
func helpFlags(t *testing.T, bin string, args ...string) map[string]bool {
	t.Helper()
	out, _ := exec.Command(bin, args...).CombinedOutput() // --help may exit non-zero
	known := map[string]bool{}
	re := regexp.MustCompile(`(?:^|[\s,])--?([A-Za-z][A-Za-z0-9_-]*)`)
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "-") {
			continue // a description, not a flag's line
		}
		names, _, _ := strings.Cut(line, "  ") // the flags, before their description
		for _, m := range re.FindAllStringSubmatch(names, -1) {
			known[m[1]] = true
		}
	}
	if len(known) == 0 {
		t.Fatalf("%s %s lists no flags:\n%s", bin, strings.Join(args, " "), out)
	}
	return known
}

// commandFlags returns the flags of a command: --name value or --name=value;
// a flag followed by another flag has the value "true".
func commandFlags(cmd []string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(cmd); i++ {
		a := cmd[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !ok {
			val = "true"
			if i+1 < len(cmd) && !strings.HasPrefix(cmd[i+1], "-") {
				val = cmd[i+1]
				i++
			}
		}
		out[name] = val
	}
	return out
}

// natsOptions parses the configuration file that a NATS service reads,
// written by the configuration writers, with nats-server's own parser.
func natsOptions(t *testing.T, s types.ServiceConfig, w written) *server.Options {
	t.Helper()
	flags := commandFlags(s.Command)
	target := flags["config"]
	if target == "" {
		target = flags["c"]
	}
	f, ok := w.local(s, target)
	if !ok {
		t.Errorf("%s: its --config %q is on no volume that the configuration writers fill", s.Name, target)
		return nil
	}
	o, err := server.ProcessConfigFile(f)
	if err != nil {
		t.Errorf("%s: %s does not parse: %v", s.Name, target, err)
		return nil
	}
	return o
}

// onNamedVolume reports whether dir is on a named volume that only this
// service mounts.
func onNamedVolume(p *types.Project, s types.ServiceConfig, dir string) bool {
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeVolume || !strings.HasPrefix(dir+"/", strings.TrimSuffix(v.Target, "/")+"/") {
			continue
		}
		if _, ok := p.Volumes[v.Source]; !ok {
			return false
		}
		for _, o := range p.Services {
			if o.Name == s.Name {
				continue
			}
			for _, ov := range o.Volumes {
				if ov.Source == v.Source {
					return false
				}
			}
		}
		return true
	}
	return false
}

// moduleVersion returns the version of a module in go.mod.
func moduleVersion(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", path).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
