package deviceclient

import (
	"context"

	"github.com/authgate/authgate/gate/push"
)

// SetPush registers sub (a browser's PushSubscription JSON) as this
// device's push subscription and returns the device as it is afterwards.
func (c *Client) SetPush(ctx context.Context, sub push.SubscriptionJSON) (DeviceInfo, error) {
	var out DeviceInfo
	err := c.call(ctx, "POST", "/device/push", true, sub, 200, &out)
	return out, err
}

// PushOff removes this device's push subscription.
func (c *Client) PushOff(ctx context.Context) (DeviceInfo, error) {
	var out DeviceInfo
	err := c.call(ctx, "DELETE", "/device/push", true, nil, 200, &out)
	return out, err
}
