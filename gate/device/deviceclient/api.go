package deviceclient

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/device"
)

// PendingLogin is a login waiting for this device's decision.
type PendingLogin = device.PendingLogin

// DeviceInfo describes this device as the gateway knows it.
type DeviceInfo = device.DeviceInfo

// DefaultPoll is WaitPending's interval when none is given.
const DefaultPoll = 500 * time.Millisecond

// Pending returns the logins waiting for a decision, oldest first as the
// gateway lists them; none is an empty slice and no error.
func (c *Client) Pending(ctx context.Context) ([]PendingLogin, error) {
	var out device.PendingResponse
	if err := c.call(ctx, "GET", "/device/pending", true, nil, 200, &out); err != nil {
		return nil, err
	}
	return out.Logins, nil
}

// WaitPending polls Pending every poll (DefaultPoll if poll <= 0) until a
// login is waiting, and returns the first. It returns the first error, or
// ctx's error once ctx is done.
func (c *Client) WaitPending(ctx context.Context, poll time.Duration) (PendingLogin, error) {
	if poll <= 0 {
		poll = DefaultPoll
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		logins, err := c.Pending(ctx)
		if err != nil {
			return PendingLogin{}, err
		}
		if len(logins) > 0 {
			return logins[0], nil
		}
		select {
		case <-ctx.Done():
			return PendingLogin{}, fmt.Errorf("deviceclient: waiting for a login: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Decide signs and sends a decision on a login: decision is
// device.DecisionApprove with the number the browser shows, or
// DecisionDeny or DecisionReport with number 0. It returns the status the
// login is left in (approved or denied).
func (c *Client) Decide(ctx context.Context, sessionID, decision string, number int) (string, error) {
	ts := c.now().UnixMilli()
	sig, err := c.sign(device.DecisionMessage(sessionID, decision, number, ts))
	if err != nil {
		return "", err
	}
	in := device.DecideRequest{
		SessionID: sessionID, Decision: decision, Number: number, TS: ts,
		Sig: device.EncodeSignature(sig),
	}
	var out device.DecideResponse
	if err := c.call(ctx, "POST", "/device/decide", true, in, 200, &out); err != nil {
		return "", err
	}
	return out.Status, nil
}

// Me returns this device as the gateway knows it.
func (c *Client) Me(ctx context.Context) (DeviceInfo, error) {
	var out DeviceInfo
	err := c.call(ctx, "GET", "/device/me", true, nil, 200, &out)
	return out, err
}

// Rename sets this device's name (the gateway cleans it) and returns the
// device as it is afterwards.
func (c *Client) Rename(ctx context.Context, name string) (DeviceInfo, error) {
	var out DeviceInfo
	err := c.call(ctx, "POST", "/device/rename", true, device.RenameRequest{Name: name}, 200, &out)
	return out, err
}
