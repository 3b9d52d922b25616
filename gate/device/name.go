package device

import (
	"strings"

	"github.com/authgate/authgate/gate/text"
)

// DefaultDeviceName is the name of a device enrolled without one.
const DefaultDeviceName = "Phone"

// MaxNameRunes caps the length of a device name.
const MaxNameRunes = 64

// maxUserAgentRunes caps the user agent kept with a device.
const maxUserAgentRunes = 256

// CleanName returns a device name fit to store and show: control,
// formatting and other non-printable characters and invalid UTF-8 removed,
// surrounding spaces trimmed, at most MaxNameRunes runes, and
// DefaultDeviceName if nothing is left.
func CleanName(name string) string {
	if s := cleanText(name, MaxNameRunes); s != "" {
		return s
	}
	return DefaultDeviceName
}

// BlankName reports whether name holds nothing to show once cleaned
// (empty, spaces, control or format characters only): a rename to it is
// refused rather than turned into DefaultDeviceName.
func BlankName(name string) bool { return cleanText(name, MaxNameRunes) == "" }

// cleanText strips non-printable runes and invalid UTF-8 from s, trims
// spaces, and cuts it to max runes.
func cleanText(s string, max int) string {
	return strings.TrimSpace(text.Clean(strings.TrimSpace(s), max))
}
