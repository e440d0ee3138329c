package httpapi_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
)

// TestOpenAPIKindsAreTheVocabulary: the body's kind enum lists exactly the
// kinds events.Kinds accepts, so a client cannot be refused a kind the
// ledger records (a UK Act as "act") nor offered one it refuses.
func TestOpenAPIKindsAreTheVocabulary(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	body := doc.Components.Schemas["Body"]
	if body == nil || body.Value.Properties["kind"] == nil {
		t.Fatal("the OpenAPI document has no Body.kind")
	}
	var got []string
	for _, v := range body.Value.Properties["kind"].Value.Enum {
		got = append(got, v.(string))
	}
	var want []string
	for _, k := range events.Kinds {
		want = append(want, string(k.Kind))
	}
	if len(got) != len(want) {
		t.Fatalf("Body.kind enum %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("Body.kind enum %v, want %v", got, want)
		}
	}
}
