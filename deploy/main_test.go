package deploy_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lexledger/lexledger/internal/testkit"
)

// bins holds the binaries built once for the package's tests.
var bins struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	removeConfig := testkit.PrivateConfig() // serve's default signing key
	code := m.Run()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	removeConfig()
	os.Exit(code)
}

// binary returns the path of a binary of this module (or its dependency
// nats-server, at the version in go.mod), building all three the first
// time it is asked.
func binary(t *testing.T, name string) string {
	t.Helper()
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "lexledger-deploy-")
		if bins.err != nil {
			return
		}
		for bin, pkg := range map[string]string{
			"ledger":      "github.com/lexledger/lexledger/cmd/ledger",
			"projector":   "github.com/lexledger/lexledger/cmd/projector",
			"nats-server": "github.com/nats-io/nats-server/v2",
		} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(bins.dir, bin), pkg).CombinedOutput()
			if err != nil {
				bins.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return filepath.Join(bins.dir, name)
}

func freeTCPPort(t *testing.T) int { return testkit.FreePort(t) }

type syncBuffer = testkit.SyncBuffer
