// Command subscriber is a downstream service in a page: it follows
// Lex Ledger's feed — each act's new state, and the notices of the day an
// act enters into force, is suspended or leaves force — and prints them.
//
//	go run ./examples/subscriber --nats-url nats://127.0.0.1:4222 --acts 'kz.>'
//
// It logs in with the subscriber's seed (--nats-nkey subscriber.nk): by
// default the one that `ledger serve` keeps in its data directory,
// $LEDGER_DATA/nats/subscriber.nk (./data/nats/subscriber.nk), when the
// server is on this machine; on a server configured by `ledger
// nats-config`, the subscriber.nk it wrote. It reads LEX_NOTICES through
// its account's import, under the API prefix $JS.VIEWS.API.
//
// It uses only the documented contract (docs/PROJECTIONS.md,
// docs/OPERATIONS.md): the subjects lex.changes.{act tokens} and the
// stream LEX_NOTICES.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

func main() {
	url := flag.String("nats-url", "nats://127.0.0.1:4222", "the ledger's NATS server")
	acts := flag.String("acts", ">", "which acts, as subject tokens: 'kz.>' for Kazakhstan, 'kz.act.code.>' for its codes")
	nkey := flag.String("nats-nkey", "", "log in with the nkey seed in this file (subscriber.nk of 'ledger nats-config'); default: $LEDGER_DATA/nats/subscriber.nk of 'ledger serve' (./data when unset) if it exists and the server is on this machine")
	flag.Parse()
	if *nkey == "" {
		*nkey = defaultSeed(*url)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var opts []nats.Option
	if *nkey != "" {
		opt, err := nats.NkeyOptionFromSeed(*nkey)
		if err != nil {
			log.Fatalf("nkey: %v", err)
		}
		// Its permissions allow replies on its own inbox only.
		pub, err := nkeyPublic(*nkey)
		if err != nil {
			log.Fatalf("nkey: %v", err)
		}
		opts = append(opts, opt, nats.CustomInboxPrefix("_INBOX."+pub))
	}
	nc, err := nats.Connect(*url, opts...)
	if errors.Is(err, nats.ErrAuthorization) {
		log.Fatalf("connect: %v: give --nats-nkey with the subscriber's seed (DATA/nats/subscriber.nk of 'ledger serve'; set LEDGER_DATA to its --data)", err)
	}
	if err != nil {
		log.Fatalf("connect: %v", err)
	}
	defer nc.Drain()

	// Each change of an act's state, live.
	_, err = nc.Subscribe("lex.changes."+*acts, func(m *nats.Msg) {
		var n struct {
			Sequence uint64 `json:"sequence"`
			State    struct {
				Act    string `json:"act"`
				Title  string `json:"title"`
				Status string `json:"status"`
				Reason string `json:"reason"`
			} `json:"state"`
			// A state larger than the feed's bound (64 KiB) comes with its
			// lists cut: the whole state is at full_state, over HTTP.
			Truncated bool   `json:"truncated"`
			FullState string `json:"full_state"`
		}
		if json.Unmarshal(m.Data, &n) == nil {
			fmt.Printf("change   #%d %s: %s (%s) — %s\n", n.Sequence, n.State.Act, n.State.Status, n.State.Reason, n.State.Title)
			if n.Truncated {
				fmt.Printf("         lists cut to the feed's bound; the whole state: GET %s\n", n.FullState)
			}
		}
	})
	if err != nil {
		log.Fatalf("subscribe: %v", err)
	}

	// The day notices, from the start of the notices stream: each once,
	// read one by one with the message get API (readers create no
	// consumers, and a reader's import has no direct get by sequence).
	// Through the clients' import of the projector's views when there is
	// one, or else in the account's own JetStream.
	prefix := "$JS.VIEWS.API"
	js, _ := jetstream.NewWithAPIPrefix(nc, prefix)
	_, err = js.Stream(ctx, "LEX_NOTICES")
	if errors.Is(err, nats.ErrNoResponders) {
		prefix = "$JS.API"
		js, _ = jetstream.New(nc)
		_, err = js.Stream(ctx, "LEX_NOTICES")
	}
	if err != nil {
		log.Fatalf("notices (is a projector running? it creates LEX_NOTICES): %v", err)
	}
	go func() {
		for seq := uint64(1); ctx.Err() == nil; {
			m, err := getMsg(nc, prefix+".STREAM.MSG.GET.LEX_NOTICES", seq)
			switch {
			case err == nil:
				if strings.HasPrefix(m.Subject, "lex.notices.") && subjectMatches(m.Subject, *acts) {
					fmt.Printf("notice   %s: %s\n", m.Subject, m.Data)
				}
				seq++
			case errors.Is(err, errNotFound):
				time.Sleep(time.Second) // not written yet
			default:
				log.Printf("notice %d: %v", seq, err)
				time.Sleep(time.Second)
			}
		}
	}()
	fmt.Println("following lex.changes." + *acts + " and LEX_NOTICES; Ctrl-C to stop")
	<-ctx.Done()
}

// errNotFound is the message get API's answer for a sequence not stored.
var errNotFound = errors.New("no message at this sequence")

// getMsg asks the JetStream message get API at subject for the message at
// seq.
func getMsg(nc *nats.Conn, subject string, seq uint64) (*nats.Msg, error) {
	req, _ := json.Marshal(map[string]uint64{"seq": seq})
	resp, err := nc.Request(subject, req, 5*time.Second)
	if err != nil {
		return nil, err
	}
	var r struct {
		Message *struct {
			Subject string `json:"subject"`
			Data    []byte `json:"data"`
		} `json:"message"`
		Error *struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return nil, err
	}
	switch {
	case r.Error != nil && r.Error.Code == 404:
		return nil, errNotFound
	case r.Error != nil:
		return nil, errors.New(r.Error.Description)
	case r.Message == nil:
		return nil, errors.New("an answer without a message")
	}
	return &nats.Msg{Subject: r.Message.Subject, Data: r.Message.Data}, nil
}

// subjectMatches reports whether a notice's subject, lex.notices.{what}.{act
// tokens}, is of the acts that the pattern names.
func subjectMatches(subject, acts string) bool {
	tokens := strings.Split(subject, ".")
	if len(tokens) < 4 {
		return false
	}
	tokens = tokens[3:]
	for i, p := range strings.Split(acts, ".") {
		switch {
		case p == ">":
			return i < len(tokens)
		case i >= len(tokens) || p != "*" && p != tokens[i]:
			return false
		}
	}
	return len(strings.Split(acts, ".")) == len(tokens)
}

// defaultSeed returns the subscriber's seed of the 'ledger serve' on this
// machine, when url is on this machine and the seed exists; or else "".
func defaultSeed(url string) string {
	if !strings.Contains(url, "://127.0.0.1:") && !strings.Contains(url, "://localhost:") && !strings.Contains(url, "://[::1]:") {
		return ""
	}
	data := os.Getenv("LEDGER_DATA")
	if data == "" {
		data = "./data"
	}
	seed := filepath.Join(data, "nats", "subscriber.nk")
	if _, err := os.Stat(seed); err != nil {
		return ""
	}
	return seed
}

// nkeyPublic returns the public key of the seed in file.
func nkeyPublic(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	kp, err := nkeys.ParseDecoratedNKey(data)
	if err != nil {
		return "", err
	}
	return kp.PublicKey()
}
