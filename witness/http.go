package witness

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// Content types of the add-checkpoint answers.
const (
	// ContentTypeSize is the type of a 409 answer that carries the size
	// the witness last cosigned.
	ContentTypeSize = "text/x.tlog.size"
	contentTypeText = "text/plain; charset=utf-8"
)

// MaxRequestBytes bounds an add-checkpoint request body: an old size, 63
// proof lines and a checkpoint with its signatures fit well within it.
const MaxRequestBytes = 1 << 20

// Handler returns the witness's HTTP interface, C2SP tlog-witness:
// POST /add-checkpoint. The body is "old <size>\n", one base64 proof hash
// a line, a blank line, and the signed checkpoint. Answers:
//   - 200, the cosignature as note signature lines;
//   - 400 for a malformed body or an old size above the checkpoint's;
//   - 403 when no trusted key of the log signed the checkpoint;
//   - 404 for an origin the witness does not witness;
//   - 409 with Content-Type text/x.tlog.size and the last cosigned size,
//     when the old size is not that size; 409 with a message, when the
//     checkpoint has the last cosigned size but another root;
//   - 422 when the consistency proof does not verify;
//   - 405 for a method other than POST, 413 for a body over
//     MaxRequestBytes, 500 when the witness cannot record its state.
//
// Other answers than 200 and the size conflict carry a plain text message
// saying why.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/add-checkpoint", w.serveAddCheckpoint)
	return mux
}

func (w *Witness) serveAddCheckpoint(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		httpError(rw, http.StatusMethodNotAllowed, "add-checkpoint takes a POST")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxRequestBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			httpError(rw, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body exceeds %d bytes: a checkpoint and its proof need far less", MaxRequestBytes))
			return
		}
		httpError(rw, http.StatusBadRequest, fmt.Sprintf("reading the request body: %v", err))
		return
	}
	oldSize, proof, signed, err := ParseAddCheckpoint(body)
	if err == nil {
		var sigs []byte
		sigs, err = w.Add(r.Context(), oldSize, proof, signed)
		if err == nil {
			rw.Header().Set("Content-Type", contentTypeText)
			rw.Write(sigs)
			return
		}
	}
	status := Status(err)
	w.log.Log(r.Context(), level(status), "refused", "status", status, "remote", r.RemoteAddr, "err", err)
	var we *Error
	if errors.As(err, &we) && we.HasSize {
		rw.Header().Set("Content-Type", ContentTypeSize)
		rw.WriteHeader(status)
		fmt.Fprintf(rw, "%d\n", we.Size)
		return
	}
	httpError(rw, status, strings.TrimPrefix(err.Error(), "witness: "))
}

func level(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

func httpError(rw http.ResponseWriter, status int, msg string) {
	rw.Header().Set("Content-Type", contentTypeText)
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	fmt.Fprintln(rw, msg)
}

// ParseAddCheckpoint splits an add-checkpoint request body into the old
// size, the consistency proof's hashes and the signed checkpoint. Errors
// wrap ErrMalformed and say which line is wrong.
func ParseAddCheckpoint(body []byte) (oldSize uint64, proof [][]byte, signed []byte, err error) {
	bad := func(format string, args ...any) (uint64, [][]byte, []byte, error) {
		return 0, nil, nil, refuse(ErrMalformed, "add-checkpoint body: "+fmt.Sprintf(format, args...))
	}
	br := bufio.NewReader(bytes.NewReader(body))
	line, err := br.ReadString('\n')
	if err != nil {
		return bad("the first line, \"old <size>\", is missing or does not end with a newline")
	}
	size, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "old ")
	if !ok {
		return bad("the first line is %q, want \"old <size>\"", clip(strings.TrimSuffix(line, "\n")))
	}
	oldSize, err = parseSize(size)
	if err != nil {
		return bad("old size %q %v", clip(size), err)
	}
	read := len(line)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if err != nil {
			return bad("no blank line after the consistency proof: want the proof lines, a blank line, then the checkpoint")
		}
		read += len(line)
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break
		}
		if n > MaxProofHashes {
			return bad("more than %d consistency proof lines", MaxProofHashes)
		}
		h, err := base64.StdEncoding.Strict().DecodeString(line)
		if err != nil {
			return bad("consistency proof line %d, %q, is not base64", n, clip(line))
		}
		proof = append(proof, h)
	}
	signed = body[read:]
	if len(signed) == 0 {
		return bad("no checkpoint after the blank line")
	}
	return oldSize, proof, signed, nil
}

// AddCheckpointBody returns the body of an add-checkpoint request, as
// ParseAddCheckpoint reads it.
func AddCheckpointBody(oldSize uint64, proof [][]byte, signed []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(signed)
	return b.Bytes()
}
