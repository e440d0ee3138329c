package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxAnswerBytes bounds what Submit reads of an answer.
const maxAnswerBytes = 64 << 10

// Submit sends the signed checkpoint note signed to the witness whose
// submission prefix is url (POST url/add-checkpoint), with the size of the
// last checkpoint the witness cosigned for the log (0 at first) and a
// consistency proof from it. It returns the witness's cosignature lines,
// to append to the note, after checking that they are note signature
// lines; verify them with VerifyCosignature. A refusal is an *Error of the
// kind the status stands for; a 409 on the old size has HasSize set and
// Size the witness's size: resubmit with a proof from there.
func Submit(ctx context.Context, url string, oldSize uint64, proof [][]byte, signed []byte) ([]byte, error) {
	return SubmitWith(ctx, http.DefaultClient, url, oldSize, proof, signed)
}

// SubmitWith is Submit through client.
func SubmitWith(ctx context.Context, client *http.Client, url string, oldSize uint64, proof [][]byte, signed []byte) ([]byte, error) {
	endpoint := strings.TrimRight(url, "/") + "/add-checkpoint"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(AddCheckpointBody(oldSize, proof, signed)))
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach witness %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("witness %s: reading its answer: %w", url, err)
	}
	if resp.StatusCode == http.StatusOK {
		if err := checkSignatureLines(body); err != nil {
			return nil, fmt.Errorf("witness %s answered 200 but %v", url, err)
		}
		return body, nil
	}
	kind := kindOf(resp.StatusCode)
	if kind == nil {
		kind = ErrInternal
	}
	msg := strings.TrimSpace(string(body))
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	e := &Error{Kind: kind, Msg: fmt.Sprintf("%s answered %s: %s", url, resp.Status, msg)}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); resp.StatusCode == http.StatusConflict && mt == ContentTypeSize {
		size, err := parseSize(strings.TrimSuffix(string(body), "\n"))
		if err != nil {
			return nil, fmt.Errorf("witness %s answered 409 with a size that is not one, %q: %v", url, clip(string(body)), err)
		}
		e.Size, e.HasSize = size, true
		e.Msg = fmt.Sprintf("%s last cosigned this log at size %d, not the old size %d given: resubmit with a consistency proof from size %d", url, size, oldSize, size)
	}
	return nil, e
}

// checkSignatureLines checks that b is one or more note signature lines,
// "— name base64\n".
func checkSignatureLines(b []byte) error {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return errors.New("its answer is not newline-terminated signature lines")
	}
	for i, line := range bytes.Split(b[:len(b)-1], []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("— ")) || bytes.Count(line, []byte(" ")) != 2 {
			return fmt.Errorf("its answer's line %d, %q, is not a note signature line", i+1, clip(string(line)))
		}
	}
	return nil
}
