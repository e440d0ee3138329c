// Package natsauth is the NATS side of the ledger's access control: it
// writes a nats-server configuration in which every client authenticates
// with an nkey, belongs to one of three accounts and gets the permissions
// of one role (ledger, projector, clerk, auditor, subscriber, admin), and
// it builds the connection options (nkey seed, TLS root CA) with which the
// ledger's commands log in.
//
// The accounts are what keeps the stream append-only against the server
// itself: JetStream answers an API request on any reply subject, and a
// stream stores what is published on its subjects in its account, so the
// stream's account holds only the ledger and admin (AccountLedger). The
// projector's views are in an account of their own (AccountViews), and
// the clerks, auditors and subscribers in one without JetStream
// (AccountClients); they reach the stream and the views through imports of
// read-only API, whose answers go back to their own account. The
// permissions, role by role, repeat and narrow what the imports allow.
package natsauth
