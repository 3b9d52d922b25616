package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// A device is a HASH: "data" holds its JSON as created; "name" and
// "last_used" (the fields UpdateDevice replaces) live beside it.
const (
	fieldName     = "name"
	fieldLastUsed = "last_used"
	fieldApproved = "approved"
)

// CreateEnrollment stores the token hash for email, valid for ttl. A
// second call with the same hash replaces the first.
func (s *Store) CreateEnrollment(ctx context.Context, tokenHash, email string, ttl time.Duration) error {
	if err := s.check(); err != nil {
		return err
	}
	ms, err := ttlMillis("creating enrolment", ttl)
	if err != nil {
		return err
	}
	return wrap("creating enrolment", s.client.Set(ctx, s.enrollKey(tokenHash), email, time.Duration(ms)*time.Millisecond).Err())
}

// ConsumeEnrollment returns the token's email and deletes the token in one
// GETDEL, so exactly one caller gets it. ErrNotFound if unknown, used or
// expired.
func (s *Store) ConsumeEnrollment(ctx context.Context, tokenHash string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	email, err := s.client.GetDel(ctx, s.enrollKey(tokenHash)).Result()
	if err != nil {
		return "", wrap("consuming enrolment", err)
	}
	return email, nil
}

// CreateDevice stores d and then adds it to its user's index (two slots,
// so two steps; if the second fails the device is removed again).
// ErrConflict if the id exists.
func (s *Store) CreateDevice(ctx context.Context, d *store.Device) error {
	if err := s.check(); err != nil {
		return err
	}
	bare := *d
	bare.Push = nil // kept in its own fields, which SetPushSubscription replaces
	data, err := json.Marshal(&bare)
	if err != nil {
		return fmt.Errorf("redis store: encoding device: %w", err)
	}
	// "approved" empty: a device that never approved a login (NoteApproval).
	fields := []any{fieldData, data, fieldName, d.Name, fieldLastUsed, formatTime(d.LastUsed), fieldApproved, ""}
	if d.Push != nil {
		push, err := pushFields(d.Push)
		if err != nil {
			return err
		}
		fields = append(fields, push...)
	}
	key := s.deviceKey(d.ID)
	created, err := s.scripts.createHash.Run(ctx, s.pipe, []string{key}, append([]any{0}, fields...)...).Int()
	if err != nil {
		return wrap("creating device", err)
	}
	if created == 0 {
		return fmt.Errorf("redis store: creating device: %w", store.ErrConflict)
	}
	err = s.client.ZAdd(ctx, s.devicesKey(d.Email), redis.Z{Score: float64(d.CreatedAt.UnixMilli()), Member: d.ID}).Err()
	if err == nil {
		err = s.client.SAdd(ctx, s.usersKey(), d.Email).Err()
	}
	if err != nil {
		err = wrap("indexing device", err)
		if derr := s.client.Del(context.WithoutCancel(ctx), key).Err(); derr != nil {
			return errors.Join(err, wrap("undoing device creation", derr))
		}
		return err
	}
	return nil
}

// GetDevice returns the device, or ErrNotFound.
func (s *Store) GetDevice(ctx context.Context, id string) (*store.Device, error) {
	return oneHash(ctx, s, "device", s.deviceKey(id), decodeDevice)
}

// decodeDevice rebuilds a device from its HASH fields.
func decodeDevice(fields map[string]string) (*store.Device, error) {
	var d store.Device
	if err := json.Unmarshal([]byte(fields[fieldData]), &d); err != nil {
		return nil, fmt.Errorf("redis store: decoding device: %w", err)
	}
	used, err := parseTime(fields[fieldLastUsed])
	if err != nil {
		return nil, err
	}
	d.Name, d.LastUsed = fields[fieldName], used
	if d.Push, err = decodePush(fields[fieldPush]); err != nil {
		return nil, err
	}
	return &d, nil
}

// UpdateDevice replaces the device's name and last-used time (those
// given) in one script. ErrNotFound if there is no such device.
func (s *Store) UpdateDevice(ctx context.Context, id, name string, lastUsed time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	var fields []any
	if name != "" {
		fields = append(fields, fieldName, name)
	}
	if !lastUsed.IsZero() {
		fields = append(fields, fieldLastUsed, formatTime(lastUsed))
	}
	if len(fields) == 0 {
		_, err := s.GetDevice(ctx, id)
		return err
	}
	updated, err := s.scripts.updateHash.Run(ctx, s.pipe, []string{s.deviceKey(id)}, fields...).Int()
	if err != nil {
		return wrap("updating device", err)
	}
	if updated == 0 {
		return fmt.Errorf("redis store: updating device: %w", store.ErrNotFound)
	}
	return nil
}

// ListDevices returns the user's devices, oldest first (ties by id). Index
// entries whose device is gone, or belongs to someone else, are pruned.
func (s *Store) ListDevices(ctx context.Context, email string) ([]*store.Device, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	out, err := indexedHashes(ctx, s, "devices", s.devicesKey(email), s.deviceKey, decodeDevice,
		func(d *store.Device) bool { return d.Email == email })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *store.Device) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteDevice removes the device and then its index entry. ErrNotFound
// if there is none.
func (s *Store) DeleteDevice(ctx context.Context, id string) error {
	if err := s.check(); err != nil {
		return err
	}
	key := s.deviceKey(id)
	data, err := s.client.HGet(ctx, key, fieldData).Result()
	if err != nil {
		return wrap("deleting device", err)
	}
	var d store.Device
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return fmt.Errorf("redis store: decoding device: %w", err)
	}
	n, err := s.client.Del(ctx, key).Result()
	if err != nil {
		return wrap("deleting device", err)
	}
	if n == 0 {
		return fmt.Errorf("redis store: deleting device: %w", store.ErrNotFound)
	}
	if err := s.client.ZRem(ctx, s.devicesKey(d.Email), id).Err(); err != nil {
		return wrap("unindexing device", err)
	}
	// Its open event streams end at once rather than at their next
	// re-read; a lost message only delays that.
	msg, err := changeMessage(store.LoginChange{DeviceID: id})
	if err != nil {
		return err
	}
	return wrap("announcing device removal", s.client.Publish(ctx, s.loginChannel(), msg).Err())
}
