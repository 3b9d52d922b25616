// A receiver built from the AuthGate integration guide's Express sample:
// verifySignature below is the guide's function, unchanged. Express's
// JSON body parser is JSON.parse, so the handler verifies
// JSON.stringify(JSON.parse(rawBody)) exactly as the guide's handler does.
// It prints its port on stdout once listening.
const http = require('http');
const WEBHOOK_SECRET = process.env.WEBHOOK_SECRET;

const crypto = require('crypto');

// Verify AuthGate webhook signature
function verifySignature(body, signature, secret) {
  const expected = crypto
    .createHmac('sha256', secret)
    .update(body)
    .digest('hex');
  return `sha256=${expected}` === signature;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    let body;
    try {
      body = JSON.parse(raw);
    } catch (e) {
      res.writeHead(400).end('bad json');
      return;
    }
    const roundTrip = JSON.stringify(body) === raw ? 'same' : 'differs';
    const sig = req.headers['x-authgate-signature'];
    if (!verifySignature(JSON.stringify(body), sig, WEBHOOK_SECRET)) {
      res.writeHead(401, { 'X-Roundtrip': roundTrip, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'Invalid signature' }));
      return;
    }
    res.writeHead(200, { 'X-Roundtrip': roundTrip, 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ received: true }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
