package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// vectorsScript loads the approver app's otp.js into node and checks it
// against the RFC 6238 Appendix B vectors, the same file the server's
// check is tested with.
const vectorsScript = `
require(process.argv[2]);
const v = require(process.argv[3]);
(async () => {
  let n = 0;
  for (const alg of ["SHA-1", "SHA-256"]) {
    const key = await authgateOTP.importSecret(new TextEncoder().encode(v.secrets[alg]), alg);
    for (const t of v.vectors) {
      const got = await authgateOTP.codeAt(key, Math.floor(t.time / 30), 8);
      if (got !== t[alg]) { console.log("mismatch", alg, t.time, got, t[alg]); process.exit(1); }
      n++;
    }
  }
  const now = await authgateOTP.code(await authgateOTP.importSecret("MTIzNDU2Nzg5MDEyMzQ1Njc4OTA", "SHA-1"), 6, 30, 59000);
  if (now.code !== "287082" || now.left !== 1) { console.log("code() at 59 s", JSON.stringify(now)); process.exit(1); }
  console.log("checked " + n);
})();
`

func TestApproverAppCodesMatchRFC6238Vectors(t *testing.T) {
	node := testenv.Require(t, "node")
	dir := t.TempDir()
	script := filepath.Join(dir, "vectors.js")
	if err := os.WriteFile(script, []byte(vectorsScript), 0o600); err != nil {
		t.Fatal(err)
	}
	otpJS, _ := filepath.Abs("static/otp.js")
	vectors, _ := filepath.Abs("../otp/testdata/rfc6238.json")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, script, otpJS, vectors).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "checked 12" {
		t.Fatalf("node: %v\n%s", err, out)
	}
}
