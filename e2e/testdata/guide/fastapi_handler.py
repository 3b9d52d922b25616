import hmac, hashlib
from fastapi import FastAPI, Request, HTTPException

WEBHOOK_SECRET = "your-webhook-secret"

app = FastAPI()

def verify_signature(body: bytes, signature: str) -> bool:
    expected = hmac.new(
        WEBHOOK_SECRET.encode(), body, hashlib.sha256
    ).hexdigest()
    return f"sha256={expected}" == signature

@app.post("/api/authgate/callback")
async def authgate_webhook(request: Request):
    body = await request.body()
    sig = request.headers.get("x-authgate-signature", "")

    if not verify_signature(body, sig):
        raise HTTPException(401, "Invalid signature")

    data = await request.json()

    if data["event"] == "approved":
        # User authenticated!
        print(f"Approved: {data['email']} via {data['device_id']}")
    elif data["event"] == "denied":
        print(f"Denied: {data['email']}")

    return {"received": True}
