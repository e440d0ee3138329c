package main

import (
	"context"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/natsjs"
)

// streamAdmin describes the store's stream for GET /v1/admin/stream.
func streamAdmin(store *natsjs.Store) httpapi.StreamAdmin {
	return func(ctx context.Context) (httpapi.StreamStatus, error) {
		msgs, err := store.Msgs(ctx)
		if err != nil {
			return httpapi.StreamStatus{}, err
		}
		last, err := store.LastSeq(ctx)
		if err != nil {
			return httpapi.StreamStatus{}, err
		}
		cfg := store.Config()
		return httpapi.StreamStatus{Stream: cfg.Stream, Config: cfg.StreamConfig(), Messages: msgs, LastSeq: last}, nil
	}
}
