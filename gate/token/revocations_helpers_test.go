package token

import (
	"time"

	"github.com/authgate/authgate/gate/store"
)

func revokedSession(sid string, until time.Time) store.RevocationEvent {
	return store.RevocationEvent{SessionID: sid, Until: until}
}

func bumped(email string, gen int64) store.RevocationEvent {
	return store.RevocationEvent{Email: email, Generation: gen}
}
