package redisstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/authgate/authgate/gate/store"
)

// fieldChecks holds what the decision and collection scripts test of a
// login, so that they need not decode its JSON:
//
//	<code> <withheld 0|1><api 0|1> <binding hash> <email>
//
// Those values are then left out of the "data" JSON. A login whose
// binding hash holds a space (none made by the gate does) keeps them in
// its JSON and has no such field; so do logins written before it, and
// the scripts decode their JSON as they did.
const fieldChecks = "k"

// compactLogin is a login's JSON when its fieldChecks holds the values
// it leaves out (empty, so omitted; they shadow the login's own).
type compactLogin struct {
	storedLogin
	Email       string `json:"email,omitempty"`
	Code        int    `json:"code,omitempty"`
	BindingHash string `json:"binding_hash,omitempty"`
	Withheld    bool   `json:"withheld,omitempty"`
	API         bool   `json:"api,omitempty"`
}

// checksSpace is what Lua's %s matches: the script's pattern splits
// the checks field at it.
const checksSpace = " \t\n\v\f\r"

// formatChecks renders l's fieldChecks; ok is false when l's binding
// hash cannot stand in it.
func formatChecks(l *store.Login) (string, bool) {
	if strings.ContainsAny(l.BindingHash, checksSpace) {
		return "", false
	}
	return strconv.Itoa(l.Code) + " " + flag(l.Withheld) + flag(l.API) + " " + l.BindingHash + " " + l.Email, true
}

// parseChecks sets the values fieldChecks holds on l.
func parseChecks(l *store.Login, s string) error {
	code, rest, ok1 := strings.Cut(s, " ")
	flags, rest, ok2 := strings.Cut(rest, " ")
	hash, email, ok3 := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if !ok1 || !ok2 || !ok3 || err != nil || len(flags) != 2 || strings.Trim(flags, "01") != "" {
		return fmt.Errorf("redis store: decoding login: checks field %q", s)
	}
	l.Code, l.Withheld, l.API, l.BindingHash, l.Email = n, flags[0] == '1', flags[1] == '1', hash, email
	return nil
}

// loginChecksSrc defines login_fields, which makes a table of a login's
// fields from HGETALL's reply, and login_checks, which returns what the
// scripts test of a login (email, withheld, api, binding_hash, code)
// from such a table: from its fieldChecks k, or from its JSON when it
// has none (the JSON is decoded only then).
const loginChecksSrc = `
local function login_fields(all)
  local f = {}
  for i = 1, #all, 2 do f[all[i]] = all[i + 1] end
  return f
end
local function login_checks(f)
  if f.k then
    local code, w, a, bh, email = string.match(f.k, '^(-?%d+) ([01])([01]) (%S*) (.*)$')
    if code then
      return {code = tonumber(code), withheld = w == '1', api = a == '1', binding_hash = bh, email = email}
    end
  end
  return cjson.decode(f.data)
end
`
