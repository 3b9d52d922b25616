// A webhook receiver for authgate that verifies both signature schemes on
// the raw body, refuses stale deliveries, and processes each webhook-id
// once. During a secret rotation, WEBHOOK_PREVIOUS_SECRET holds the old
// secret: a signature by either secret is accepted. Node's standard
// library only.
//
//   WEBHOOK_SECRET=whsec_... PORT=9000 node receiver.js
'use strict';
const crypto = require('crypto');
const http = require('http');

if (!process.env.WEBHOOK_SECRET) {
  console.error('set WEBHOOK_SECRET to the webhook secret');
  process.exit(1);
}
// The current secret, then the previous one during a rotation.
const SECRETS = [process.env.WEBHOOK_SECRET, process.env.WEBHOOK_PREVIOUS_SECRET].filter(Boolean);
// Standard Webhooks key: the base64 after "whsec_", else the secret itself.
const STD_KEYS = SECRETS.map((s) => (s.startsWith('whsec_')
  ? Buffer.from(s.slice(6), 'base64')
  : Buffer.from(s, 'utf8')));
const TOLERANCE_S = 5 * 60;
const seen = new Map(); // webhook-id -> first seen (ms)

function safeEqual(a, b) {
  const x = Buffer.from(a || '', 'utf8');
  const y = Buffer.from(b || '', 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// X-Authgate-Signature: "sha256=" + hex HMAC-SHA256 of the raw body.
function verifyHex(raw, header) {
  let ok = false;
  for (const secret of SECRETS) {
    const mac = crypto.createHmac('sha256', secret).update(raw).digest('hex');
    if (safeEqual(`sha256=${mac}`, header)) ok = true;
  }
  return ok;
}

// webhook-signature: space-separated "v1,<base64>" over id.timestamp.body.
function verifyStandard(raw, id, ts, sigs) {
  if (!id || !/^\d+$/.test(ts || '')) return false;
  const age = Math.floor(Date.now() / 1000) - Number(ts);
  if (Math.abs(age) > TOLERANCE_S) return false;
  let ok = false;
  for (const key of STD_KEYS) {
    const mac = crypto.createHmac('sha256', key)
      .update(Buffer.concat([Buffer.from(`${id}.${ts}.`, 'utf8'), raw]))
      .digest('base64');
    for (const s of (sigs || '').split(' ')) {
      const [v, sig] = s.split(',', 2);
      if (v === 'v1' && safeEqual(mac, sig)) ok = true;
    }
  }
  return ok;
}

function firstTime(id) {
  const now = Date.now();
  for (const [k, t] of seen) if (now - t > 2 * TOLERANCE_S * 1000) seen.delete(k);
  if (seen.has(id)) return false;
  seen.set(id, now);
  return true;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const h = req.headers;
    const id = h['webhook-id'];
    res.setHeader('Content-Type', 'application/json');
    if (!verifyHex(raw, h['x-authgate-signature']) ||
        !verifyStandard(raw, id, h['webhook-timestamp'], h['webhook-signature'])) {
      res.writeHead(401).end(JSON.stringify({ error: 'invalid signature' }));
      return;
    }
    if (!firstTime(id)) {
      res.end(JSON.stringify({ received: true, duplicate: true }));
      return;
    }
    let evt;
    try {
      evt = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      res.writeHead(400).end(JSON.stringify({ error: 'bad json' }));
      return;
    }
    console.error(`event ${evt.event} ${evt.id}`);
    res.end(JSON.stringify({ received: true }));
  });
});

server.listen(Number(process.env.PORT || 9000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
