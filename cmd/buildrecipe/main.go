// Command buildrecipe turns xcaddy.toml, the pinned build recipe, into an
// xcaddy build command: printed by default, run with -run.
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
	flag.Parse()
	args, err := load(*path)
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

// load reads a recipe and returns xcaddy's arguments.
func load(path string) ([]string, error) {
	var r Recipe
	md, err := toml.DecodeFile(path, &r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return nil, fmt.Errorf("%s: unknown key %q", path, undecoded[0].String())
	}
	return r.args()
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
			args = append(args, "--with", p.Module+"="+p.Replace)
		case p.Version != "":
			args = append(args, "--with", p.Module+"@"+p.Version)
		default:
			args = append(args, "--with", p.Module)
		}
	}
	return args, nil
}
