package device

import (
	"net/http/httptest"
	"testing"
)

func TestRequestMessageIsTheProtocolString(t *testing.T) {
	got := string(RequestMessage("POST", "/.authgate/device/decide?x=1", 1700000000123, []byte(`{"a":1}`)))
	want := "authgate-request-v1\nPOST\n/.authgate/device/decide?x=1\n1700000000123\n" +
		"015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
	if got != want {
		t.Fatalf("RequestMessage =\n%q\nwant\n%q", got, want)
	}
	empty := string(RequestMessage("GET", "/p", 1, nil))
	if want := "authgate-request-v1\nGET\n/p\n1\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; empty != want {
		t.Fatalf("RequestMessage with no body = %q, want %q", empty, want)
	}
}

func TestReadCredentials(t *testing.T) {
	cases := []struct {
		name    string
		target  string
		headers map[string]string
		device  string
		signed  string // the path-with-query that is signed; "" means refused
	}{
		{"headers", "/g/device/pending", map[string]string{HeaderDevice: "d", HeaderTimestamp: "1", HeaderSignature: "s"}, "d", "/g/device/pending"},
		{"headers keep the whole query", "/g/p?b=2&a=1", map[string]string{HeaderDevice: "d", HeaderTimestamp: "1", HeaderSignature: "s"}, "d", "/g/p?b=2&a=1"},
		{"headers with one missing", "/g/p", map[string]string{HeaderDevice: "d", HeaderTimestamp: "1"}, "", ""},
		{"headers win over the query", "/g/p?ag_device=q&ag_ts=1&ag_sig=s", map[string]string{HeaderDevice: "d", HeaderTimestamp: "1", HeaderSignature: "s"}, "d", "/g/p?ag_device=q&ag_ts=1&ag_sig=s"},
		{"a lone header does not fall back to the query", "/g/p?ag_device=q&ag_ts=1&ag_sig=s", map[string]string{HeaderDevice: "d"}, "", ""},
		{"query only", "/g/events?ag_device=d&ag_ts=1&ag_sig=s", nil, "d", "/g/events"},
		{"query keeps others in order", "/g/events?z=1&ag_device=d&a=2&ag_ts=1&ag_sig=s&m=%20x", nil, "d", "/g/events?z=1&a=2&m=%20x"},
		{"query with escaped names", "/g/e?ag%5Fdevice=d&ag_ts=1&ag_sig=s&k", nil, "d", "/g/e?k"},
		{"query value escaped", "/g/e?ag_device=d%5F1&ag_ts=1&ag_sig=s", nil, "d_1", "/g/e"},
		{"query repeated", "/g/e?ag_device=d&ag_device=e&ag_ts=1&ag_sig=s", nil, "", ""},
		{"query missing one", "/g/e?ag_device=d&ag_ts=1", nil, "", ""},
		{"query empty value", "/g/e?ag_device=&ag_ts=1&ag_sig=s", nil, "", ""},
		{"query bad escape", "/g/e?ag_device=%zz&ag_ts=1&ag_sig=s", nil, "", ""},
		{"nothing", "/g/e", nil, "", ""},
		{"escaped path kept escaped", "/g/a%2Fb?ag_device=d&ag_ts=1&ag_sig=s", nil, "d", "/g/a%2Fb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.target, nil)
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			got, err := readCredentials(r)
			if c.signed == "" {
				if err == nil {
					t.Fatalf("readCredentials = %+v, want an error", got)
				}
				return
			}
			if err != nil || got.deviceID != c.device || got.target != c.signed {
				t.Fatalf("readCredentials = %+v, %v; want device %q target %q", got, err, c.device, c.signed)
			}
		})
	}
}

func TestParseTimestamp(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1700000000123", 1700000000123, true},
		{"0", 0, true},
		{"", 0, false},
		{"+17", 0, false},
		{"-17", 0, false},
		{" 17", 0, false},
		{"017", 0, false},
		{"1.5", 0, false},
		{"1e3", 0, false},
		{"9999999999999999", 0, false},
	}
	for _, c := range cases {
		got, ok := parseTimestamp(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseTimestamp(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
