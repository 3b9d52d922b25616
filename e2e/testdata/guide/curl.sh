# Start a new auth session
curl -X POST https://authgate.cloud/auth/start \
  -H "Content-Type: application/json" \
  -d '{"app_id": "my-app", "email": "user@example.com"}'

# Check session status
curl https://authgate.cloud/auth/check/SESSION_ID

# Register a webhook
curl -X POST https://authgate.cloud/api/webhooks \
  -H "Content-Type: application/json" \
  -d '{"app_id": "my-app", "url": "https://my-app.com/callback"}'

# Verify a JWT token
curl https://authgate.cloud/auth/verify?token=YOUR_JWT_TOKEN
