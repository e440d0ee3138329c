// Package deploy holds no code: its tests check the deployment at the
// repository's root. compose_test.go loads docker-compose.yml with the
// compose loader and checks every service's command and flags against the
// binaries; cluster_test.go runs the same topology as real processes on
// loopback (three nats-server nodes, a ledger, a projector) and kills a
// node while twenty clerks append. docs/OPERATIONS.md reports what it
// measured.
package deploy
