package gateway

import (
	"net/http"
	"testing"
	"time"
)

func TestALoginsEventStreamsAreCapped(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	b := lg.browser(t)
	id, _ := b.start("dora@example.com")
	streams := make([]*sseReader, streamsPerHolder)
	for i := range streams {
		streams[i] = b.loginEvents(id)
	}
	get := func() int {
		resp, err := b.http.Get(b.base + "/.authgate/auth/events/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := get(); status != http.StatusTooManyRequests {
		t.Fatalf("stream %d: %d, want 429", streamsPerHolder+1, status)
	}
	// Another login of another browser is not held back.
	other := lg.browser(t)
	otherID, _ := other.start("erin@example.com")
	other.loginEvents(otherID)

	streams[0].resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		status := get()
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after one stream closed: %d, want 200", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestADevicesEventStreamsAreCapped(t *testing.T) {
	lg := startLiveGate(t, newMemoryStore(t))
	dev := lg.enroll(t, "fay@example.com")
	for range streamsPerHolder {
		deviceEvents(t, lg, dev)
	}
	req, _ := http.NewRequest(http.MethodGet, lg.srv.URL+"/.authgate/device/events", nil)
	if err := dev.SignRequestQuery(req, nil); err != nil {
		t.Fatal(err)
	}
	resp, err := lg.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("stream %d: %d, want 429", streamsPerHolder+1, resp.StatusCode)
	}
	// The user's other phone is not held back.
	deviceEvents(t, lg, lg.enroll(t, "fay@example.com"))
}
