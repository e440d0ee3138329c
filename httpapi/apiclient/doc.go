// Package apiclient is a typed Go client of the ledger's HTTP API, generated
// by oapi-codegen from httpapi/openapi.yaml, the document the server serves
// at /openapi.yaml. It is for programs that record and read over HTTP and
// want the answers as Go values rather than JSON, and it keeps the document
// honest: its tests build this client from the document, run it against a
// real server (an embedded JetStream, the ledger and a projector) and check
// that the committed client.gen.go is what the generator makes now.
//
// Do not edit client.gen.go: change the document and run
//
//	go generate ./httpapi/apiclient
//
// Each operation has a method on Client (the raw *http.Response) and on
// ClientWithResponses (the answer decoded by status: JSON200, JSON404, ...).
package apiclient

//go:generate go tool oapi-codegen -config config.yaml -o client.gen.go ../openapi.yaml
