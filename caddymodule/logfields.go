package caddymodule

import (
	"time"

	"go.uber.org/zap"
)

// emailField names the user an operator acted on in a log line.
func emailField(email string) zap.Field { return zap.String("email", email) }

// zapTime logs a time in UTC.
func zapTime(key string, t time.Time) zap.Field { return zap.Time(key, t.UTC()) }
