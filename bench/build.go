package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// moduleRoot returns the folder of the go.mod the current directory
// belongs to.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		return "", errors.New("finding the module root: run this from inside the authgate module")
	}
	return filepath.Dir(gomod), nil
}

// buildCaddy builds root's bench/caddy (cmd/caddy, Caddy with the
// plugin, plus the bench_noop middleware) into dir and returns the
// binary's path.
func buildCaddy(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "caddy")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/caddy")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building bench/caddy: %w\n%s", err, out.String())
	}
	return bin, nil
}

// caddyVersion is the first line `caddy version` prints, or why not.
func caddyVersion(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
