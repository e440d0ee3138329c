// Package natsauth is the NATS side of the ledger's access control: it
// writes a nats-server configuration in which every client authenticates
// with an nkey and gets the permissions of one role (ledger, projector,
// clerk, auditor, subscriber, admin), and it builds the connection options
// (nkey seed, TLS root CA) with which the ledger's commands log in.
//
// The permissions are what keeps the stream append-only in practice: any
// message published on lex.events.> is stored, and any client with the
// whole JetStream API can update, purge or delete the stream. Only the
// ledger role may publish events; only admin may change the stream. One
// gap remains with a single account: JetStream answers an API request on
// any reply subject, an act's included, where the stream stores it
// (docs/OPERATIONS.md, Access control on NATS, Limits).
package natsauth
