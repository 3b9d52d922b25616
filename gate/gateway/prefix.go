package gateway

import (
	"fmt"
	"path"
	"strings"
)

// CheckPrefix reports whether p can be the gate's path: absolute, clean
// (no empty, "." or ".." segment), not the site's root, and made of
// letters, digits and "-._~" between its slashes. A trailing slash is
// allowed and dropped.
func CheckPrefix(p string) error {
	trimmed := strings.TrimSuffix(p, "/")
	if !strings.HasPrefix(p, "/") || strings.Trim(p, "/") == "" {
		return fmt.Errorf("gate path %q: want an absolute path below the root, such as /.authgate", p)
	}
	if path.Clean(trimmed) != trimmed {
		return fmt.Errorf("gate path %q: want a clean path, without empty, \".\" or \"..\" segments", p)
	}
	for _, c := range trimmed {
		if !(c == '/' || c == '-' || c == '.' || c == '_' || c == '~' ||
			c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("gate path %q: %q is not allowed; use letters, digits and -._~ between slashes", p, c)
		}
	}
	return nil
}
