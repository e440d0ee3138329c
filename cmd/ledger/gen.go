package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/internal/cli"
)

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("gen", "ledger gen N   (N generated events as JSON Lines on standard output)", stderr)
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	n, err := strconv.Atoi(fs.Arg(0))
	if fs.NArg() != 1 || err != nil || n < 1 {
		fs.Usage()
		return fmt.Errorf("gen needs one positive number of events")
	}
	w := bufio.NewWriter(stdout)
	if err := bench.Generate(w, n); err != nil {
		return err
	}
	return w.Flush()
}
