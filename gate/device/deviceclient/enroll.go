package deviceclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/otp"
)

// Enroll makes a new P-256 key, enrols it with the one-time link an
// administrator handed out (see device.EnrollmentLink) under the given
// name, and returns the enrolled device. hc may be nil for
// http.DefaultClient. The link works once: a second Enroll with it fails
// with an *APIError.
func Enroll(ctx context.Context, hc *http.Client, link, name string) (*Client, error) {
	base, token, err := device.ParseEnrollmentLink(link)
	if err != nil {
		return nil, fmt.Errorf("deviceclient: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("deviceclient: making key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("deviceclient: encoding key: %w", err)
	}
	c := &Client{BaseURL: base, Key: key, HTTP: hc}
	in := device.EnrollRequest{Token: token, PublicKey: base64.RawURLEncoding.EncodeToString(der), Name: name}
	var out device.EnrollResponse
	if err := c.call(ctx, "POST", "/device/enroll", false, in, http.StatusCreated, &out); err != nil {
		return nil, err
	}
	if out.DeviceID == "" {
		return nil, fmt.Errorf("deviceclient: enrolment answered no device id")
	}
	c.DeviceID, c.Email = out.DeviceID, out.Email
	if out.OTPSecret != "" {
		secret, err := base64.RawURLEncoding.DecodeString(out.OTPSecret)
		if err != nil {
			return nil, fmt.Errorf("deviceclient: enrolment answered a malformed otp_secret: %w", err)
		}
		c.OTPSecret, c.OTPAlgorithm = secret, otp.Algorithm(out.OTPAlgorithm)
	}
	c.RecoveryCodes = out.RecoveryCodes
	return c, nil
}

// OfflineCode returns the device's offline code at t, as the approver
// app's "Show a code" does. It fails for a device enrolled without a
// secret.
func (c *Client) OfflineCode(t time.Time) (string, error) {
	if len(c.OTPSecret) == 0 {
		return "", fmt.Errorf("deviceclient: this device has no offline-code secret")
	}
	return otp.Code(c.OTPSecret, c.OTPAlgorithm, t)
}
