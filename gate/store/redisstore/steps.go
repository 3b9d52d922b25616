package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// groupOfUserKeys returns the group of email after checking that every
// non-empty key is a user key of it, so a script's keys share one tag.
func groupOfUserKeys(email string, keys ...string) (string, error) {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if e, _, ok := store.ParseUserKey(k); !ok || e != email {
			return "", fmt.Errorf("redis store: %q is not a user key of %s", k, email)
		}
	}
	return store.GroupOf(email), nil
}

// flag renders a bool as a script argument.
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// StartLogin runs the checks, the count, the claim, the creation and the
// recent marker of st as one script in the email's group. A login whose
// id is of another group (not made by store.NewLoginID) cannot share it:
// it is refused.
func (s *Store) StartLogin(ctx context.Context, st store.LoginStart) (*store.LoginStarted, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	grp, err := groupOfUserKeys(st.Email, append([]string{st.Counter, st.Recent}, st.Pauses...)...)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, p := range st.Pauses {
		keys = append(keys, s.markKey(p))
	}
	args := []any{len(st.Pauses), flag(st.Counter != ""), int64(0), st.Limit}
	if st.Counter != "" {
		ms, err := ttlMillis("counting logins", st.Window)
		if err != nil {
			return nil, err
		}
		keys = append(keys, s.hitKey(st.Counter))
		args[2] = ms
	}
	var fields []any
	loginArgs := []any{"0", 0, 0, "", "", ""}
	if l := st.Login; l != nil {
		if l.Email != st.Email || store.LoginGroup(l.ID) != grp {
			return nil, fmt.Errorf("redis store: starting login %s of %s: its id is not of the email's group", l.ID, l.Email)
		}
		ms, err := ttlMillis("creating login", st.TTL)
		if err != nil {
			return nil, err
		}
		claim, pms := "2", int64(0) // created without the claim
		if !st.Unclaimed {
			claim = "1"
			if pms, err = ttlMillis("claiming pending login", st.PendingTTL); err != nil {
				return nil, err
			}
		}
		msg, err := changeMessage(store.LoginChange{ID: l.ID, Email: l.Email})
		if err != nil {
			return nil, err
		}
		if fields, err = loginFields(l); err != nil {
			return nil, err
		}
		keys = append(keys, s.pendingKey(st.Email), s.loginKey(l.ID))
		loginArgs = []any{claim, ms, pms, l.ID, s.loginChannel(), msg}
	}
	recentArgs := []any{"0", 0}
	if st.Recent != "" && st.Login != nil {
		ms, err := ttlMillis("marking recent login", st.RecentTTL)
		if err != nil {
			return nil, err
		}
		keys = append(keys, s.markKey(st.Recent))
		recentArgs = []any{"1", ms}
	}
	args = append(append(append(args, loginArgs...), recentArgs...), fields...)
	if len(keys) == 0 {
		return &store.LoginStarted{}, nil
	}
	res, err := s.scripts.startLogin.Run(ctx, s.pipe, keys, args...).Slice()
	if err != nil {
		return nil, wrap("starting login", err)
	}
	num := func(i int) int64 {
		if i >= len(res) {
			return 0
		}
		n, _ := res[i].(int64)
		return n
	}
	out := &store.LoginStarted{Count: num(1), CountReset: time.Duration(num(2)) * time.Millisecond}
	switch num(0) {
	case 1:
		out = &store.LoginStarted{Paused: st.Pauses[num(1)-1], PausedFor: time.Duration(num(2)) * time.Millisecond}
	case 2:
		out.Limited = true
	case 3:
	case 4:
		out.Holder, _ = res[3].(string)
	case 5:
		return nil, fmt.Errorf("redis store: starting login: %w", store.ErrConflict)
	case 6:
		out.Created, out.Recent = true, num(3) == 1
		// Confirmed before the browser learns of it: a login a failover
		// dropped would leave a browser bound to nothing.
		if err := s.replicated(ctx, "starting login"); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("redis store: starting login: unexpected reply %v", res)
	}
	return out, nil
}

// loginFields renders l as the field, value… of its HASH.
func loginFields(l *store.Login) ([]any, error) {
	checks, ok := formatChecks(l)
	data, err := encodeLogin(l, ok)
	if err != nil {
		return nil, err
	}
	fields := []any{fieldData, data, fieldStatus, string(l.Status), fieldExpiresMS, l.ExpiresAt.UnixMilli()}
	if ok {
		fields = append(fields, fieldChecks, checks)
	}
	// An empty field is left out (a field costs some 60 bytes): reading
	// a missing one gives the same "".
	for _, f := range [][2]string{
		{fieldReason, l.Reason}, {fieldDeviceID, l.DeviceID},
		{fieldDecidedAt, formatDecidedAt(l.DecidedAt)}, {fieldSessionID, l.SessionID},
	} {
		if f[1] != "" {
			fields = append(fields, f[0], f[1])
		}
	}
	return fields, nil
}

// fieldExpiresMS holds a pending login's ExpiresAt in Unix ms, for the
// decision script to compare (the JSON's own is for reading); it goes
// when the login leaves pending.
const fieldExpiresMS = "exp"

// DecideLogin decides the login in one script, which also releases the
// claim when the login shares its email's group. A login without its
// window in ms, or of an old id, is decided by reading it and a
// transition.
func (s *Store) DecideLogin(ctx context.Context, id string, d store.Decision) (*store.Login, store.DecideOutcome, error) {
	if err := s.check(); err != nil {
		return nil, 0, err
	}
	if grp := store.LoginGroup(id); grp == "" || store.GroupOf(d.Email) != grp {
		return s.decideByReading(ctx, id, d)
	}
	keys, args, err := s.decideCall(id, d)
	if err != nil {
		return nil, 0, err
	}
	res, err := s.scripts.decideLogin.Run(ctx, s.pipe, keys, args...).Slice()
	if err != nil {
		return nil, 0, wrap("deciding login", err)
	}
	return s.decideReply(ctx, id, d, res)
}

// decideCall is the decision script's keys and arguments.
func (s *Store) decideCall(id string, d store.Decision) ([]string, []any, error) {
	msg, err := changeMessage(store.LoginChange{ID: id})
	if err != nil {
		return nil, nil, err
	}
	return []string{s.loginKey(id), s.pendingKey(d.Email)}, []any{
		d.Email, d.DeviceID, formatDecidedAt(d.At), d.At.UnixMilli(), d.ExpiredReason,
		string(d.To), d.Reason, flag(d.CheckNumber), d.Number, string(d.WrongTo), d.WrongReason,
		s.loginChannel(), msg, id,
	}, nil
}

// decideReply reads the decision script's reply.
func (s *Store) decideReply(ctx context.Context, id string, d store.Decision, res []any) (*store.Login, store.DecideOutcome, error) {
	kind, _ := res[0].(int64)
	switch kind {
	case 0:
		return nil, 0, fmt.Errorf("redis store: deciding login: %w", store.ErrNotFound)
	case 9:
		return s.decideByReading(ctx, id, d)
	}
	fields, err := pairs(res[1])
	if err != nil {
		return nil, 0, fmt.Errorf("redis store: deciding login: %w", err)
	}
	l, err := decodeLogin(id, fields)
	if err != nil {
		return nil, 0, err
	}
	switch kind {
	case 1:
		return l, store.AlreadyDecided, nil
	case 3:
		return l, store.Expired, s.replicated(ctx, "deciding login")
	}
	// A decision a failover could undo would let a login be decided twice.
	return l, store.Decided, s.replicated(ctx, "deciding login")
}

// decideByReading is DecideLogin in two steps, a read and a transition
// that releases the claim, for a login the script cannot decide.
func (s *Store) decideByReading(ctx context.Context, id string, d store.Decision) (*store.Login, store.DecideOutcome, error) {
	l, err := s.GetLogin(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	if l.Email != d.Email || l.Withheld {
		return nil, 0, fmt.Errorf("redis store: deciding login: %w", store.ErrNotFound)
	}
	if l.Status != store.LoginPending {
		return l, store.AlreadyDecided, nil
	}
	t, outcome := store.Transition{From: store.LoginPending, To: d.To, Reason: d.Reason, DeviceID: d.DeviceID, At: d.At, ReleaseEmail: d.Email}, store.Decided
	switch {
	case d.At.After(l.ExpiresAt):
		t.To, t.Reason, t.DeviceID, outcome = store.LoginExpired, d.ExpiredReason, "", store.Expired
	case d.CheckNumber && d.Number != l.Code:
		t.To, t.Reason = d.WrongTo, d.WrongReason
	}
	decided, err := s.TransitionLogin(ctx, id, t)
	if errors.Is(err, store.ErrConflict) {
		return decided, store.AlreadyDecided, nil
	}
	if err != nil {
		return decided, 0, err
	}
	return decided, outcome, nil
}

// PendingLogin reads email's pending claim and the login it names in one
// script; a claim naming a login of another group (made before groups) is
// followed with a second read.
func (s *Store) PendingLogin(ctx context.Context, email string) (*store.Login, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	c := s.pendingCall(email)
	res, err := c.script.Run(ctx, s.pipe, c.keys, c.args...).Slice()
	if err != nil {
		return nil, wrap("reading pending login", err)
	}
	return s.pendingReply(ctx, res)
}

// pendingCall is the pending read's script call for email.
func (s *Store) pendingCall(email string) scriptCall {
	grp := store.GroupOf(email)
	return scriptCall{script: s.scripts.pendingLogin, keys: []string{s.pendingKey(email)}, args: []any{s.loginPrefix(grp), grp}}
}

// pendingReply reads the pending read script's reply.
func (s *Store) pendingReply(ctx context.Context, res []any) (*store.Login, error) {
	kind, _ := res[0].(int64)
	switch {
	case kind == 0:
		return nil, fmt.Errorf("redis store: reading pending login: %w", store.ErrNotFound)
	case kind == 1 || len(res) < 3:
		id, _ := res[1].(string)
		return s.GetLogin(ctx, id)
	}
	id, _ := res[1].(string)
	fields, err := pairs(res[2])
	if err != nil {
		return nil, fmt.Errorf("redis store: reading pending login: %w", err)
	}
	if len(fields) == 0 {
		if tag(id) != id { // the script read the key an unusual id would not have
			return s.GetLogin(ctx, id)
		}
		return nil, fmt.Errorf("redis store: reading pending login: %w", store.ErrNotFound)
	}
	return decodeLogin(id, fields)
}

// CollectLogin collects the login in one script, clearing
// c.ResetCounters with it when they share its group; those of a login
// made before groups, or of an email the script cannot name, are cleared
// after.
func (s *Store) CollectLogin(ctx context.Context, id string, c store.Collection) (*store.Login, bool, error) {
	if err := s.check(); err != nil {
		return nil, false, err
	}
	grp := store.LoginGroup(id)
	args := []any{c.BindingHash, flag(c.API), c.SessionID, s.groupKey(grp) + ":h:"}
	for _, name := range c.ResetCounters {
		if tag(name) != name {
			return nil, false, fmt.Errorf("redis store: collecting login: counter name %q", name)
		}
		if grp != "" {
			args = append(args, name)
		}
	}
	res, err := s.scripts.collectLogin.Run(ctx, s.pipe, []string{s.loginKey(id)}, args...).Slice()
	if err != nil {
		return nil, false, wrap("collecting login", err)
	}
	outcome, _ := res[0].(int64)
	if outcome == 0 {
		return nil, false, fmt.Errorf("redis store: collecting login: %w", store.ErrNotFound)
	}
	fields, err := pairs(res[1])
	if err != nil {
		return nil, false, fmt.Errorf("redis store: collecting login: %w", err)
	}
	l, err := decodeLogin(id, fields)
	if err != nil || outcome == 1 {
		return l, false, err
	}
	if cleared, _ := res[2].(int64); cleared == 0 || grp == "" {
		for _, name := range c.ResetCounters {
			if err := s.ResetHits(ctx, store.UserKey(l.Email, name)); err != nil {
				return l, true, err
			}
		}
	}
	// A collection a failover could undo would let a login be collected
	// twice.
	return l, true, s.replicated(ctx, "collecting login")
}

// deviceMarksKept is how many replay markers a device's HASH holds; a
// device signing more within their lifetime gets a key per marker.
const deviceMarksKept = 16

// UseDevice takes the device's marker and records its use in one script.
func (s *Store) UseDevice(ctx context.Context, id, mark string, ttl time.Duration, lastUsed time.Time) (*store.Device, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	c, err := s.useCall(store.DeviceUse{ID: id, Mark: mark, TTL: ttl, LastUsed: lastUsed})
	if err != nil {
		return nil, err
	}
	res, err := c.script.Run(ctx, s.pipe, c.keys, c.args...).Slice()
	if err != nil {
		return nil, wrap("using device", err)
	}
	return useDeviceReply(res)
}

// useCall is the device use script's call for u.
func (s *Store) useCall(u store.DeviceUse) (scriptCall, error) {
	ms, err := ttlMillis("marking device request", u.TTL)
	if err != nil {
		return scriptCall{}, err
	}
	if u.Mark == "" || strings.ContainsAny(u.Mark, " ;") {
		return scriptCall{}, fmt.Errorf("redis store: using device: marker %q", u.Mark)
	}
	return scriptCall{script: s.scripts.useDevice, keys: []string{s.deviceKey(u.ID), s.deviceMarkKey(u.ID, u.Mark)},
		args: []any{ms, formatTime(u.LastUsed), u.Mark, deviceMarksKept}}, nil
}

// useDeviceReply reads the device use script's reply.
func useDeviceReply(res []any) (*store.Device, error) {
	switch kind, _ := res[0].(int64); kind {
	case 0:
		return nil, fmt.Errorf("redis store: using device: %w", store.ErrNotFound)
	case 1:
		return nil, fmt.Errorf("redis store: using device: %w", store.ErrConflict)
	}
	fields, err := pairs(res[1])
	if err != nil {
		return nil, fmt.Errorf("redis store: using device: %w", err)
	}
	return decodeDevice(fields)
}

// legacyApprovalMark is the marker that recorded a device's first
// approval before the device's own field did (Limits.Mark key).
func legacyApprovalMark(id string) string { return "device-approved:" + id }

// NoteApproval records the approval in the device's HASH in one script.
// A device made before approvals were kept there is asked about once
// more, through the marker that kept them before.
func (s *Store) NoteApproval(ctx context.Context, id string) (*store.Device, bool, error) {
	if err := s.check(); err != nil {
		return nil, false, err
	}
	res, err := s.scripts.noteApproval.Run(ctx, s.pipe, []string{s.deviceKey(id)}).Slice()
	if err != nil {
		return nil, false, wrap("noting approval", err)
	}
	return s.noteApprovalReply(ctx, id, res)
}

// noteApprovalReply reads the reply of the note's script on the device
// id, asking the older record for a device made before approvals were
// kept in its HASH.
func (s *Store) noteApprovalReply(ctx context.Context, id string, res []any) (*store.Device, bool, error) {
	first, _ := res[0].(int64)
	if len(res) < 2 {
		return nil, false, fmt.Errorf("redis store: noting approval: %w", store.ErrNotFound)
	}
	fields, err := pairs(res[1])
	if err != nil {
		return nil, false, fmt.Errorf("redis store: noting approval: %w", err)
	}
	d, err := decodeDevice(fields)
	if err != nil {
		return nil, false, err
	}
	if first == 2 {
		_, err := s.MarkTTL(ctx, legacyApprovalMark(id))
		switch {
		case err == nil:
			return d, false, nil
		case !errors.Is(err, store.ErrNotFound):
			return d, false, err
		}
	}
	return d, first > 0, nil
}
