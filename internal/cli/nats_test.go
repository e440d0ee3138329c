package cli_test

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
)

// Without --nats-nkey, a command finds its role's seed in $LEDGER_DATA,
// and says which seed was refused or that a login is needed.
func TestNATSAuthFindsTheEmbeddedSeed(t *testing.T) {
	data := t.TempDir()
	keys, err := natsauth.SetupEmbedded(data+"/"+natsauth.EmbeddedDir, natsauth.Options{StoreDir: data})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: data, Port: 0, Config: keys.Config})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	auth := func() cli.NATSAuth {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return cli.AddNATSAuthAs(fs, natsauth.RoleAuditor)
	}
	t.Setenv("LEDGER_DATA", data)
	nc, err := auth().Connect(srv.ClientURL(), "test", "")
	if err != nil {
		t.Fatalf("the auditor's default seed: %v", err)
	}
	nc.Close()

	t.Setenv("LEDGER_DATA", t.TempDir()) // no seeds there
	_, err = auth().Connect(srv.ClientURL(), "test", "")
	if !errors.Is(err, nats.ErrAuthorization) || !strings.Contains(err.Error(), "--nats-nkey") {
		t.Errorf("without a seed: %v, want an authorization error that names --nats-nkey", err)
	}
}
