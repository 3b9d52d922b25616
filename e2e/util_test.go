package e2e

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

func readAll(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func formatMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
