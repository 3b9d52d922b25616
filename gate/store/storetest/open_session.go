package storetest

import (
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

func runOpenSession(t *testing.T, open Opener) {
	t.Run("OpenSession creates the session, reads the generation and notes the approval", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		for _, wantGen := range []int64{0, 1, 2} {
			if wantGen > 0 {
				_, err := s.BumpGeneration(ctx, d.Email)
				noErr(t, "BumpGeneration", err)
			}
			sess := newSession(d.Email, now(), time.Hour)
			sess.DeviceID = d.ID
			opened, err := s.OpenSession(ctx, store.SessionOpening{Session: sess, DeviceID: d.ID})
			noErr(t, "OpenSession", err)
			if opened.Generation != wantGen {
				t.Fatalf("OpenSession: generation %d, want %d", opened.Generation, wantGen)
			}
			if opened.NoteErr != nil {
				t.Fatalf("OpenSession: note: %v", opened.NoteErr)
			}
			sameDevice(t, "OpenSession's device", opened.Device, d)
			if want := wantGen == 0; opened.FirstApproval != want {
				t.Fatalf("OpenSession %d: first approval %v, want %v", wantGen, opened.FirstApproval, want)
			}
			got, err := s.GetSession(ctx, sess.ID)
			noErr(t, "GetSession", err)
			sameSession(t, "GetSession after OpenSession", got, sess)
		}
		list, err := s.ListSessions(ctx, d.Email)
		noErr(t, "ListSessions", err)
		if len(list) != 3 {
			t.Fatalf("ListSessions after three OpenSession: %v", sessionIDs(list))
		}
		_, _, err = s.NoteApproval(ctx, d.ID)
		noErr(t, "NoteApproval", err)
		if _, first, _ := s.NoteApproval(ctx, d.ID); first {
			t.Fatal("NoteApproval after OpenSession noted it: first")
		}
	})

	t.Run("OpenSession without a device notes nothing, and of a gone device says so", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		sess := newSession(uniqEmail(), now(), time.Hour)
		opened, err := s.OpenSession(ctx, store.SessionOpening{Session: sess})
		noErr(t, "OpenSession", err)
		if opened.Device != nil || opened.FirstApproval || opened.NoteErr != nil {
			t.Fatalf("OpenSession without a device: %+v", opened)
		}
		sess = newSession(sess.Email, now(), time.Hour)
		opened, err = s.OpenSession(ctx, store.SessionOpening{Session: sess, DeviceID: uniq("dev")})
		noErr(t, "OpenSession of a gone device", err)
		if opened.Device != nil || opened.FirstApproval {
			t.Fatalf("OpenSession of a gone device: %+v", opened)
		}
		wantErr(t, "OpenSession's note of a gone device", opened.NoteErr, store.ErrNotFound)
		_, err = s.GetSession(ctx, sess.ID)
		noErr(t, "GetSession", err)
	})

	t.Run("OpenSession with an existing id is a conflict, and revoking it ends both", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		sess := newSession(uniqEmail(), now(), time.Hour)
		_, err := s.OpenSession(ctx, store.SessionOpening{Session: sess})
		noErr(t, "OpenSession", err)
		other := newSession(uniqEmail(), now(), time.Hour)
		other.ID = sess.ID
		_, err = s.OpenSession(ctx, store.SessionOpening{Session: other})
		wantErr(t, "second OpenSession", err, store.ErrConflict)
		got, err := s.GetSession(ctx, sess.ID)
		noErr(t, "GetSession", err)
		sameSession(t, "GetSession after conflict", got, sess)
		if list, err := s.ListSessions(ctx, other.Email); err != nil || len(list) != 0 {
			t.Fatalf("ListSessions of the conflicting email: %v, %v", sessionIDs(list), err)
		}
		noErr(t, "RevokeSession", s.RevokeSession(ctx, sess.ID, sess.ExpiresAt))
		_, err = s.GetSession(ctx, sess.ID)
		wantErr(t, "GetSession after revocation", err, store.ErrNotFound)
		if list, err := s.ListSessions(ctx, sess.Email); err != nil || len(list) != 0 {
			t.Fatalf("ListSessions after revocation: %v, %v", sessionIDs(list), err)
		}
	})

	t.Run("OpenSession of an expired session is an error", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		sess := newSession(uniqEmail(), now().Add(-2*time.Hour), time.Hour)
		if _, err := s.OpenSession(ctx, store.SessionOpening{Session: sess}); err == nil {
			t.Fatal("OpenSession of an expired session: no error")
		}
	})
}
