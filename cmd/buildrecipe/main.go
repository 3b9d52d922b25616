// Command buildrecipe turns xcaddy.toml, the pinned build recipe, into an
// xcaddy build command: printed by default, run with -run.
//
// A plugin built from a local folder (replace = "…") is named with the
// zero pseudo-version, github.com/authgate/authgate@v0.0.0-00010101000000-000000000000=<folder>,
// so that xcaddy's `go get` never asks the module proxy for a module that
// is not published there (a proxy that answers anything but 404 would fail
// the build); the folder replaces that version.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/BurntSushi/toml"
)

// Recipe is the shape of xcaddy.toml.
type Recipe struct {
	Caddy   string   `toml:"caddy"`
	Output  string   `toml:"output"`
	Plugins []Plugin `toml:"plugins"`
}

// Plugin is one module to build in: at a version, or replaced by a local
// folder.
type Plugin struct {
	Module  string `toml:"module"`
	Version string `toml:"version"`
	Replace string `toml:"replace"`
}

func main() {
	path := flag.String("f", "xcaddy.toml", "the recipe file")
	run := flag.Bool("run", false, "run xcaddy instead of printing the command")
	output := flag.String("o", "", "where the binary goes (default: the recipe's output)")
	flag.Parse()
	args, err := loadOutput(*path, *output)
	if err != nil {
		fmt.Fprintln(os.Stderr, "buildrecipe:", err)
		os.Exit(2)
	}
	if !*run {
		fmt.Println("xcaddy " + strings.Join(args, " "))
		return
	}
	cmd := exec.Command("xcaddy", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "buildrecipe: xcaddy:", err)
		os.Exit(1)
	}
}

// localVersion is the version a locally replaced plugin is built as: the
// one Go itself gives a module replaced without a version.
const localVersion = "v0.0.0-00010101000000-000000000000"

// loadOutput is load with the recipe's output replaced by output, if set.
func loadOutput(path, output string) ([]string, error) {
	r, err := read(path)
	if err != nil {
		return nil, err
	}
	if output != "" {
		r.Output = output
	}
	return r.args()
}

// load reads a recipe and returns xcaddy's arguments.
func load(path string) ([]string, error) {
	r, err := read(path)
	if err != nil {
		return nil, err
	}
	return r.args()
}

// read parses a recipe file, refusing unknown keys.
func read(path string) (Recipe, error) {
	var r Recipe
	md, err := toml.DecodeFile(path, &r)
	if err != nil {
		return r, fmt.Errorf("reading %s: %w", path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return r, fmt.Errorf("%s: unknown key %q", path, undecoded[0].String())
	}
	return r, nil
}

// args returns the xcaddy build arguments of a recipe.
func (r Recipe) args() ([]string, error) {
	if !strings.HasPrefix(r.Caddy, "v2.") {
		return nil, fmt.Errorf("caddy = %q: want a v2 release such as v2.11.9", r.Caddy)
	}
	args := []string{"build", r.Caddy}
	if r.Output != "" {
		args = append(args, "--output", r.Output)
	}
	if len(r.Plugins) == 0 {
		return nil, errors.New("no [[plugins]]: the recipe must include authgate")
	}
	for _, p := range r.Plugins {
		switch {
		case p.Module == "":
			return nil, errors.New("a [[plugins]] entry has no module")
		case p.Replace != "" && p.Version != "":
			return nil, fmt.Errorf("plugin %s: set version or replace, not both", p.Module)
		case p.Replace != "":
			args = append(args, "--with", p.Module+"@"+localVersion+"="+p.Replace)
		case p.Version != "":
			args = append(args, "--with", p.Module+"@"+p.Version)
		default:
			args = append(args, "--with", p.Module)
		}
	}
	return args, nil
}
