package device

import (
	"context"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os/exec"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// webCryptoSigner is the approver page's signing code in miniature: it
// makes a P-256 key with WebCrypto, exports it as SPKI, and signs request
// and decision messages it builds itself from the protocol, so a pass here
// means a browser's bytes and ours agree.
const webCryptoSigner = `
const { subtle } = globalThis.crypto;
const input = JSON.parse(process.argv[1]);
const enc = new TextEncoder();
const b64u = (buf) => Buffer.from(buf).toString("base64url");
const hex = (buf) => Buffer.from(buf).toString("hex");
(async () => {
  const kp = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const spki = await subtle.exportKey("spki", kp.publicKey);
  const sign = async (text) => b64u(await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, kp.privateKey, enc.encode(text)));
  const out = { spki: b64u(spki), requests: [], decisions: [] };
  for (const r of input.requests || []) {
    const bodyHash = hex(await subtle.digest("SHA-256", enc.encode(r.body)));
    const msg = ["authgate-request-v1", r.method, r.path, String(r.ts), bodyHash].join("\n");
    out.requests.push(await sign(msg));
  }
  for (const d of input.decisions || []) {
    out.decisions.push(await sign(["authgate-decision-v1", d.session_id, d.decision, String(d.number), String(d.ts)].join("|")));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`

type jsRequest struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	TS     int64  `json:"ts"`
	Body   string `json:"body"`
}

type jsDecision struct {
	SessionID string `json:"session_id"`
	Decision  string `json:"decision"`
	Number    int    `json:"number"`
	TS        int64  `json:"ts"`
}

type jsOutput struct {
	SPKI      string   `json:"spki"`
	Requests  []string `json:"requests"`
	Decisions []string `json:"decisions"`
}

// runWebCrypto signs the given requests and decisions with a fresh
// WebCrypto key in node and returns the key and signatures.
func runWebCrypto(t *testing.T, requests []jsRequest, decisions []jsDecision) (spki []byte, reqSigs, decSigs [][]byte) {
	t.Helper()
	node := testenv.Require(t, "node")
	in, err := json.Marshal(map[string]any{"requests": requests, "decisions": decisions})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-e", webCryptoSigner, string(in))
	outBytes, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("node: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("node: %v", err)
	}
	var out jsOutput
	if err := json.Unmarshal(outBytes, &out); err != nil {
		t.Fatalf("node output %q: %v", outBytes, err)
	}
	spki, err = base64.RawURLEncoding.DecodeString(out.SPKI)
	if err != nil {
		t.Fatalf("spki: %v", err)
	}
	decode := func(ss []string) [][]byte {
		var sigs [][]byte
		for _, s := range ss {
			sig, err := DecodeSignature(s)
			if err != nil {
				t.Fatalf("node signature %q: %v", s, err)
			}
			sigs = append(sigs, sig)
		}
		return sigs
	}
	return spki, decode(out.Requests), decode(out.Decisions)
}

func TestWebCryptoSignaturesVerify(t *testing.T) {
	var requests []jsRequest
	for i := range 24 {
		requests = append(requests, jsRequest{
			Method: "POST", Path: "/.authgate/device/decide?n=" + string(rune('a'+i)),
			TS: 1_700_000_000_000 + int64(i), Body: `{"session_id":"s","decision":"approve","number":42}`,
		})
	}
	requests = append(requests, jsRequest{Method: "GET", Path: "/.authgate/device/pending", TS: 1_700_000_000_000})
	decisions := []jsDecision{
		{"sess_abc", DecisionApprove, 42, 1_700_000_000_000},
		{"sess_abc", DecisionReport, 0, 1_700_000_000_001},
	}
	spki, reqSigs, decSigs := runWebCrypto(t, requests, decisions)

	pub, err := ParsePublicKey(spki)
	if err != nil {
		t.Fatalf("WebCrypto's SPKI export: %v", err)
	}
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	highS := 0
	for i, sig := range reqSigs {
		if len(sig) != 64 {
			t.Fatalf("WebCrypto signature is %d bytes, want raw 64", len(sig))
		}
		r := requests[i]
		if !VerifySignature(pub, RequestMessage(r.Method, r.Path, r.TS, []byte(r.Body)), sig) {
			t.Errorf("request %d: WebCrypto signature does not verify", i)
		}
		if new(big.Int).SetBytes(sig[32:]).Cmp(half) > 0 {
			highS++
		}
	}
	// WebCrypto leaves S as it comes, so about half are high; the chance
	// that none of 25 is high is 2^-25.
	if highS == 0 {
		t.Errorf("no high-S signature among %d; WebCrypto was expected to make some", len(reqSigs))
	}
	t.Logf("%d of %d WebCrypto signatures had high S and verified", highS, len(reqSigs))
	for i, sig := range decSigs {
		d := decisions[i]
		now := time.UnixMilli(d.TS)
		if err := VerifyDecision(pub, d.SessionID, d.Decision, d.Number, d.TS, sig, now, 0); err != nil {
			t.Errorf("decision %d: %v", i, err)
		}
	}
}

func TestWebCryptoRequestPassesTheVerifier(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.now.UnixMilli()
	requests := []jsRequest{
		{Method: "POST", Path: "/.authgate/device/decide", TS: now, Body: `{"session_id":"s","decision":"deny"}`},
		{Method: "GET", Path: "/.authgate/device/events?since=7", TS: now},
	}
	spki, sigs, _ := runWebCrypto(t, requests, nil)
	e := &Enroller{Devices: f.store}
	token, _, err := e.CreateToken(ctx, "carol@example.com")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Enroll(ctx, token, spki, "WebCrypto", "node")
	if err != nil {
		t.Fatalf("enrolling WebCrypto's key: %v", err)
	}
	post := signed{method: "POST", target: requests[0].Path, body: []byte(requests[0].Body), deviceID: d.ID, ts: now}
	get := signed{method: "GET", target: requests[1].Path, deviceID: d.ID, ts: now, query: true}
	for i, s := range []signed{post, get} {
		got, err := f.verifier.VerifyRequest(ctx, s.withSig(sigs[i]), s.body)
		if err != nil || got.ID != d.ID {
			t.Errorf("request %d signed by WebCrypto: %v", i, err)
		}
	}
}
