package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/authgate/authgate/gate/event"
)

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER (2^53 - 1).
const maxSafeInteger = 1<<53 - 1

// timestampLayout is the layout of JavaScript's Date.prototype.toISOString.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// ErrUnencodable is wrapped by Encode's errors: the event holds a value
// that would not survive a JavaScript JSON round trip byte for byte.
var ErrUnencodable = errors.New("webhook: value not encodable")

// Encode returns the delivery body of e:
//
//	{"id":…,"event":…,"timestamp":"2006-01-02T15:04:05.000Z","data":{…}}
//
// compact, with object keys of data in sorted order, and byte-identical to
// what JavaScript's JSON.stringify(JSON.parse(body)) returns, so that
// receivers that re-serialise the parsed body verify its signature. Every
// string is passed through Sanitize with MaxString. Data may hold strings,
// booleans, nil, integers within ±(2^53-1) (floats only if integral and in
// that range), time.Time (written like the timestamp), and maps with string
// keys or slices of those. Encode refuses, wrapping ErrUnencodable, other
// types, larger integers, fractional floats and keys that are not already
// clean or that JavaScript would reorder (array indexes such as "7").
func Encode(e event.Event) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(256)
	b.WriteString(`{"id":`)
	writeString(&b, Sanitize(e.ID, MaxIdentifier))
	b.WriteString(`,"event":`)
	writeString(&b, Sanitize(e.Type, MaxIdentifier))
	b.WriteString(`,"timestamp":`)
	writeString(&b, e.Time.UTC().Format(timestampLayout))
	b.WriteString(`,"data":`)
	if e.Data == nil {
		b.WriteString("{}")
	} else if err := writeValue(&b, e.Data, 0); err != nil {
		return nil, fmt.Errorf("encoding %s event %s: %w", e.Type, e.ID, err)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// maxDepth bounds nesting so that a cyclic value cannot recurse forever.
const maxDepth = 32

func writeValue(b *bytes.Buffer, v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrUnencodable, maxDepth)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeString(b, Sanitize(x, MaxString))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		return writeInt(b, int64(x))
	case int64:
		return writeInt(b, x)
	case int32:
		return writeInt(b, int64(x))
	case int16:
		return writeInt(b, int64(x))
	case int8:
		return writeInt(b, int64(x))
	case uint:
		return writeUint(b, uint64(x))
	case uint64:
		return writeUint(b, x)
	case uint32:
		return writeUint(b, uint64(x))
	case uint16:
		return writeUint(b, uint64(x))
	case uint8:
		return writeUint(b, uint64(x))
	case float64:
		return writeFloat(b, x)
	case float32:
		return writeFloat(b, float64(x))
	case time.Time:
		writeString(b, x.UTC().Format(timestampLayout))
	case map[string]any:
		return writeMap(b, len(x), func(yield func(string, any) error) error {
			for k, v := range x {
				if err := yield(k, v); err != nil {
					return err
				}
			}
			return nil
		}, depth)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, Sanitize(e, MaxString))
		}
		b.WriteByte(']')
	default:
		return writeReflect(b, reflect.ValueOf(v), depth)
	}
	return nil
}

// writeReflect handles the maps and slices the fast paths do not name.
func writeReflect(b *bytes.Buffer, rv reflect.Value, depth int) error {
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("%w: map key type %s", ErrUnencodable, rv.Type().Key())
		}
		if rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		return writeMap(b, rv.Len(), func(yield func(string, any) error) error {
			it := rv.MapRange()
			for it.Next() {
				if err := yield(it.Key().String(), it.Value().Interface()); err != nil {
					return err
				}
			}
			return nil
		}, depth)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('[')
		for i := range rv.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, rv.Index(i).Interface(), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case reflect.String:
		writeString(b, Sanitize(rv.String(), MaxString))
		return nil
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(rv.Bool()))
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return writeInt(b, rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return writeUint(b, rv.Uint())
	}
	return fmt.Errorf("%w: type %T", ErrUnencodable, rv.Interface())
}

type entry struct {
	k string
	v any
}

// writeMap writes an object with its keys sorted, refusing keys that are
// not clean or that JavaScript would move ahead of the others.
func writeMap(b *bytes.Buffer, n int, each func(func(string, any) error) error, depth int) error {
	entries := make([]entry, 0, n)
	err := each(func(k string, v any) error {
		if Sanitize(k, MaxString) != k {
			return fmt.Errorf("%w: object key %q has unprintable characters or is too long", ErrUnencodable, k)
		}
		if isArrayIndex(k) {
			return fmt.Errorf("%w: object key %q is an integer, which JavaScript reorders", ErrUnencodable, k)
		}
		entries = append(entries, entry{k, v})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch {
		case a.k < b.k:
			return -1
		case a.k > b.k:
			return 1
		}
		return 0
	})
	b.WriteByte('{')
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, e.k)
		b.WriteByte(':')
		if err := writeValue(b, e.v, depth+1); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// isArrayIndex reports whether JavaScript treats k as an array index
// (a canonical decimal integer below 2^32-1); such keys are enumerated
// first, in numeric order, whatever the order in the JSON text.
func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < 1<<32-1
}

func writeInt(b *bytes.Buffer, n int64) error {
	if n > maxSafeInteger || n < -maxSafeInteger {
		return fmt.Errorf("%w: integer %d beyond 2^53", ErrUnencodable, n)
	}
	b.WriteString(strconv.FormatInt(n, 10))
	return nil
}

func writeUint(b *bytes.Buffer, n uint64) error {
	if n > maxSafeInteger {
		return fmt.Errorf("%w: integer %d beyond 2^53", ErrUnencodable, n)
	}
	b.WriteString(strconv.FormatUint(n, 10))
	return nil
}

func writeFloat(b *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Trunc(f) != f || math.Abs(f) > maxSafeInteger {
		return fmt.Errorf("%w: number %v is not an integer within 2^53", ErrUnencodable, f)
	}
	return writeInt(b, int64(f))
}

const hexDigits = "0123456789abcdef"

// writeString writes s as JSON.stringify does: only '"', '\\' and control
// characters are escaped (\b \t \n \f \r short forms, else \u00xx);
// everything else, including '<', '>', '&', U+2028 and U+2029, is written
// as is. s must be valid UTF-8 (every caller passes it through Sanitize).
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
