// Package directory looks users up in a company directory at login
// start: whether the directory knows an email, its entry's DN, and its
// groups as authgate names. LDAP is the implementation; the flow sees only
// the Directory interface.
//
// The directory is read at login start only. Groups found there are fixed
// in the session token when it is minted and refreshed at the next login,
// so a protected request never waits for the directory.
package directory

import (
	"context"
	"errors"
)

// AdminGroup is the authgate group given to members of an admin group of
// the directory.
const AdminGroup = "admin"

// ErrUnavailable wraps every failure to get an answer from the directory
// (unreachable, refused bind, timeout, bad base). The login fails closed.
var ErrUnavailable = errors.New("directory unavailable")

// User is what the directory says about one email.
type User struct {
	// DN is the user's entry.
	DN string
	// Groups are authgate group names, mapped from the directory's groups,
	// sorted and without repeats.
	Groups []string
}

// Directory looks users up by email.
type Directory interface {
	// Lookup finds the user with a canonical email. found is false when
	// the directory holds no entry for it (or more than one, which is not
	// a person authgate can name). Any failure to get an answer is an
	// error wrapping ErrUnavailable.
	Lookup(ctx context.Context, email string) (u User, found bool, err error)
}
