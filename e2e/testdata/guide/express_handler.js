const crypto = require('crypto');

// Verify AuthGate webhook signature
function verifySignature(body, signature, secret) {
  const expected = crypto
    .createHmac('sha256', secret)
    .update(body)
    .digest('hex');
  return `sha256=${expected}` === signature;
}

app.post('/api/authgate/callback', (req, res) => {
  const sig = req.headers['x-authgate-signature'];
  if (!verifySignature(JSON.stringify(req.body), sig, WEBHOOK_SECRET)) {
    return res.status(401).json({error: 'Invalid signature'});
  }

  const { event, session_id, email, device_id } = req.body;

  if (event === 'approved') {
    // User authenticated! Create session, set cookie, etc.
    console.log(`Auth approved: ${email} via ${device_id}`);
  } else if (event === 'denied') {
    console.log(`Auth denied: ${email}`);
  }

  res.json({received: true});
});
