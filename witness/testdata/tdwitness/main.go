// Command tdwitness serves the witness of github.com/transparency-dev/witness
// (in memory) for one log, for the interop test of package witness.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	tdnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/witness/persistence/inmemory"
	tdw "github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address")
	origin := flag.String("origin", "", "the log's origin")
	logVKey := flag.String("log-vkey", "", "the log's note verifier key")
	skey := flag.String("skey", "", "the witness's note signer key")
	flag.Parse()
	ctx := context.Background()
	signer, err := tdnote.NewSignerForCosignatureV1(*skey)
	if err != nil {
		log.Fatal(err)
	}
	lv, err := note.NewVerifier(*logVKey)
	if err != nil {
		log.Fatal(err)
	}
	w, err := tdw.New(ctx, tdw.Opts{
		Persistence: inmemory.New(),
		Signers:     []note.Signer{signer},
		VerifierForLog: func(_ context.Context, o string) (note.Verifier, bool, error) {
			return lv, o == *origin, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", tdw.NewHTTPHandler(w).AddCheckpoint)
	fmt.Fprintf(os.Stdout, "listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
