package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// MaxBodyBytes is the largest request body any gate endpoint reads.
const MaxBodyBytes = 64 << 10

// ErrBodyTooLarge marks a body over MaxBodyBytes: every endpoint that
// refuses one answers 413 with its text.
var ErrBodyTooLarge = errors.New("request body over 64 KiB")

// ReadBody reads the whole request body, refusing more than MaxBodyBytes
// with ErrBodyTooLarge.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, ErrBodyTooLarge
	}
	return body, nil
}

// DecodeJSON parses body into v strictly: one JSON value, no unknown
// fields, nothing after it but white space. Its errors start with
// "malformed JSON body" and quote nothing of the body but JSON's own
// position and type names.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	// dec.More is not enough here: it takes a stray "}" or "]" for the
	// end of the input.
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) != 0 {
		return errors.New("malformed JSON body: data after the object")
	}
	return nil
}

// readJSON reads the request body and decodes it strictly into v. On
// failure it has answered (413 for an oversized body, 400 otherwise) and
// returns false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := ReadBody(r)
	if err != nil {
		writeBodyError(w, err)
		return false
	}
	return bodyJSON(w, body, v)
}

// bodyJSON decodes an already read body strictly into v, answering 400
// and returning false when it is malformed.
func bodyJSON(w http.ResponseWriter, body []byte, v any) bool {
	if err := DecodeJSON(body, v); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

// isJSON reports whether the request says its body is JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// writeJSON writes v with status; the gate's answers are never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// errorBody is the shape of every JSON error.
type errorBody struct {
	Error string `json:"error"`
}

// writeError writes a JSON error body with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}
