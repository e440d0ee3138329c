// Command subscriber is a downstream service in thirty lines: it follows
// Lex Ledger's feed — each act's new state, and the notices of the day an
// act enters into force, is suspended or leaves force — and prints them.
//
//	go run ./examples/subscriber --nats-url nats://127.0.0.1:4222 --acts 'kz.>'
//
// It uses only the documented contract (docs/PROJECTIONS.md): the subjects
// lex.changes.{act tokens} and the stream LEX_NOTICES.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	url := flag.String("nats-url", "nats://127.0.0.1:4222", "the ledger's NATS server")
	acts := flag.String("acts", ">", "which acts, as subject tokens: 'kz.>' for Kazakhstan, 'kz.act.code.>' for its codes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	nc, err := nats.Connect(*url)
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
		}
		if json.Unmarshal(m.Data, &n) == nil {
			fmt.Printf("change   #%d %s: %s (%s) — %s\n", n.Sequence, n.State.Act, n.State.Status, n.State.Reason, n.State.Title)
		}
	})
	if err != nil {
		log.Fatalf("subscribe: %v", err)
	}

	// The day notices, from the start of the notices stream: each once.
	js, _ := jetstream.New(nc)
	cons, err := js.OrderedConsumer(ctx, "LEX_NOTICES", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"lex.notices.*." + *acts}})
	if err != nil {
		log.Fatalf("notices (is a projector running? it creates LEX_NOTICES): %v", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		fmt.Printf("notice   %s: %s\n", m.Subject(), m.Data())
	})
	if err != nil {
		log.Fatalf("consume notices: %v", err)
	}
	defer cc.Stop()
	fmt.Println("following lex.changes." + *acts + " and LEX_NOTICES; Ctrl-C to stop")
	<-ctx.Done()
}
