package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepositoryRecipeBuildsAuthgateFromThisCheckout(t *testing.T) {
	args, err := load(filepath.Join("..", "..", "xcaddy.toml"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args, " ")
	if got != "build v2.11.9 --output ./caddy --with github.com/authgate/authgate@v0.0.0-00010101000000-000000000000=." {
		t.Fatalf("xcaddy %s", got)
	}
}

func TestRecipeErrors(t *testing.T) {
	tests := map[string]string{
		"not v2":           "caddy = \"v1.0.0\"\n[[plugins]]\nmodule = \"m\"\n",
		"no plugins":       "caddy = \"v2.11.9\"\n",
		"both":             "caddy = \"v2.11.9\"\n[[plugins]]\nmodule = \"m\"\nversion = \"v1\"\nreplace = \".\"\n",
		"unknown key":      "caddy = \"v2.11.9\"\nfoo = 1\n[[plugins]]\nmodule = \"m\"\n",
		"plugin no module": "caddy = \"v2.11.9\"\n[[plugins]]\nversion = \"v1\"\n",
	}
	for name, text := range tests {
		path := filepath.Join(t.TempDir(), "xcaddy.toml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := load(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestVersionedPlugins(t *testing.T) {
	r := Recipe{Caddy: "v2.11.9", Plugins: []Plugin{{Module: "a", Version: "v1.2.3"}, {Module: "b"}}}
	args, err := r.args()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(args, " "); got != "build v2.11.9 --with a@v1.2.3 --with b" {
		t.Fatalf("xcaddy %s", got)
	}
}

func TestOutputFlagOverridesTheRecipe(t *testing.T) {
	args, err := loadOutput(filepath.Join("..", "..", "xcaddy.toml"), "/tmp/out/caddy")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(args[:4], " "); got != "build v2.11.9 --output /tmp/out/caddy" {
		t.Fatalf("xcaddy %s", got)
	}
}
