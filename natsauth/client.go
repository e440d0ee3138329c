package natsauth

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// ClientOptions returns the options that log a client in with the nkey
// seed in seedFile, with the inbox prefix its permissions allow
// (InboxPrefix), and trust the TLS certificates signed by the CA in
// caFile; an empty name leaves that option out. It checks both files now,
// so that a wrong path or a wrong file is reported before connecting.
func ClientOptions(seedFile, caFile string) ([]nats.Option, error) {
	var opts []nats.Option
	if seedFile != "" {
		data, err := os.ReadFile(seedFile)
		if err != nil {
			return nil, fmt.Errorf("nkey seed file: %w (write one per role with 'ledger nats-config')", err)
		}
		kp, err := nkeys.ParseDecoratedNKey(data)
		for i := range data {
			data[i] = 0
		}
		if err != nil {
			return nil, fmt.Errorf("%s does not hold an nkey seed (%v): give the ROLE.nk file that 'ledger nats-config' wrote", seedFile, err)
		}
		pub, err := kp.PublicKey()
		kp.Wipe()
		if err != nil || !nkeys.IsValidPublicUserKey(pub) {
			return nil, fmt.Errorf("%s holds no user seed (SU...): give the ROLE.nk file that 'ledger nats-config' wrote", seedFile)
		}
		opt, err := nats.NkeyOptionFromSeed(seedFile)
		if err != nil {
			return nil, fmt.Errorf("nkey seed %s: %w", seedFile, err)
		}
		opts = append(opts, opt, nats.CustomInboxPrefix(InboxPrefix(pub)))
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("TLS root CA: %w (give the PEM file of the CA that signed the server's certificate)", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate: give the PEM file of the CA that signed the server's certificate", caFile)
		}
		opts = append(opts, nats.RootCAs(caFile))
	}
	return opts, nil
}
