package deviceclient

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/otp"
)

// SignatureEncoding says how the client encodes its ECDSA signatures.
type SignatureEncoding int

// The signature encodings the gateway accepts.
const (
	// SignatureRaw is r||s, 64 bytes, as WebCrypto signs (the default).
	SignatureRaw SignatureEncoding = iota
	// SignatureDER is ASN.1 DER, as ecdsa.SignASN1 signs.
	SignatureDER
)

// maxResponse bounds how much of a response body the client reads.
const maxResponse = 1 << 20

// APIError is an error answer from the gateway: its HTTP status and the
// message of its {"error": …} body (or the start of the body, if it is
// not that shape).
type APIError struct {
	Status  int
	Message string
}

// Error describes the answer.
func (e *APIError) Error() string {
	return fmt.Sprintf("authgate device API: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Client is an enrolled device. BaseURL, DeviceID and Key are required.
// A Client is safe for concurrent use if its fields are not changed.
type Client struct {
	// BaseURL is the gate base URL, e.g. https://app.example.com/.authgate.
	BaseURL string
	// DeviceID is the id the gateway gave at enrolment.
	DeviceID string
	// Email is the user the device approves for (informational).
	Email string
	// Key is the device's private key, ECDSA P-256.
	Key *ecdsa.PrivateKey
	// HTTP sends the requests (default http.DefaultClient).
	HTTP *http.Client
	// SignatureEncoding is raw r||s by default, like a browser; DER is
	// there to show the gateway accepts both.
	SignatureEncoding SignatureEncoding
	// Now returns the time to sign with (default time.Now).
	Now func() time.Time
	// OTPSecret and OTPAlgorithm are the offline-code secret the gate gave
	// at enrolment (see OfflineCode).
	OTPSecret    []byte
	OTPAlgorithm otp.Algorithm
	// RecoveryCodes are the codes the gate gave with the user's first
	// phone, shown once.
	RecoveryCodes []string
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// sign signs SHA-256(msg) with the device key in the chosen encoding.
func (c *Client) sign(msg []byte) ([]byte, error) {
	if c.Key == nil {
		return nil, errors.New("deviceclient: no key")
	}
	digest := sha256.Sum256(msg)
	if c.SignatureEncoding == SignatureDER {
		sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
		if err != nil {
			return nil, fmt.Errorf("deviceclient: signing: %w", err)
		}
		return sig, nil
	}
	r, s, err := ecdsa.Sign(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("deviceclient: signing: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

// SignRequest signs req, whose body is body, with the three
// X-Authgate-Device* headers, timestamped now. req.URL must be final: the
// path and query are signed.
func (c *Client) SignRequest(req *http.Request, body []byte) error {
	ts := c.now().UnixMilli()
	sig, err := c.sign(device.RequestMessage(req.Method, device.PathWithQuery(req.URL), ts, body))
	if err != nil {
		return err
	}
	req.Header.Set(device.HeaderDevice, c.DeviceID)
	req.Header.Set(device.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(device.HeaderSignature, device.EncodeSignature(sig))
	return nil
}

// SignRequestQuery signs req as an EventSource must: with the ag_device,
// ag_ts and ag_sig query parameters appended to its URL instead of
// headers.
func (c *Client) SignRequestQuery(req *http.Request, body []byte) error {
	ts := c.now().UnixMilli()
	sig, err := c.sign(device.RequestMessage(req.Method, device.PathWithQuery(req.URL), ts, body))
	if err != nil {
		return err
	}
	extra := device.ParamDevice + "=" + url.QueryEscape(c.DeviceID) + "&" + device.ParamTimestamp + "=" +
		strconv.FormatInt(ts, 10) + "&" + device.ParamSignature + "=" + device.EncodeSignature(sig)
	if req.URL.RawQuery != "" {
		req.URL.RawQuery += "&" + extra
	} else {
		req.URL.RawQuery = extra
	}
	return nil
}

// url returns the absolute URL of an API path.
func (c *Client) url(path string) string {
	return strings.TrimRight(c.BaseURL, "/") + path
}

// call sends one request (signed unless signed is false) with in as its
// JSON body (none if nil), checks the status is want, and decodes the
// answer into out.
func (c *Client) call(ctx context.Context, method, path string, signed bool, in any, want int, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("deviceclient: encoding %s %s: %w", method, path, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("deviceclient: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if signed {
		if err := c.SignRequest(req, body); err != nil {
			return err
		}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("deviceclient: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("deviceclient: reading %s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return apiError(resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("deviceclient: decoding %s %s: %w", method, path, err)
	}
	return nil
}

// apiError reads an error answer.
func apiError(status int, data []byte) *APIError {
	var e device.ErrorResponse
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		return &APIError{Status: status, Message: e.Error}
	}
	msg := strings.TrimSpace(string(data))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &APIError{Status: status, Message: msg}
}
