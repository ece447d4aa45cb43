// Command oracle prints what Flux would apply for one cluster of a repository, built with
// Flux's and kustomize's own libraries, and each HelmRelease's final values coalesced by
// Helm v4's own code. It is a test oracle for the Python build stage (issue 12): it models
// kustomize-controller's build (internal/controller/kustomization_controller.go: generate,
// SecureBuild, SubstituteVariables) and helm-controller's values composition
// (chartutil.ChartValuesFromReferences, then Helm's ProcessDependencies + CoalesceValues).
//
// Usage: oracle --root REPO --entry PATH [--json] [--strict] [--substitute [--var NAME=VALUE]...]
//
//	oracle envsubst | oracle manifest-scalar | oracle strvals   (JSON lines on stdin → JSON lines on stdout; batch.go)
//
// Exit 0 with a JSON document on stdout (build failures are data), 2 on bad usage, 1 on an internal error.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	// A Go panic exits 2, which is this program's usage status: report an internal failure as 1.
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "oracle: internal error: %v\n", p)
			code = 1
		}
	}()
	if len(args) == 1 && (args[0] == "envsubst" || args[0] == "manifest-scalar" || args[0] == "strvals") {
		if err := runBatch(args[0], os.Stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "oracle: %v\n", err)
			return 1
		}
		return 0
	}
	fs := flag.NewFlagSet("oracle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "", "repository root (never written to)")
	entry := fs.String("entry", "", "path of the cluster's flux-system Kustomization, relative to --root")
	_ = fs.Bool("json", true, "print JSON (the only format)")
	strict := fs.Bool("strict", false, "strict post-build substitution (feature gate StrictPostBuildSubstitutions)")
	substitute := fs.Bool("substitute", false, "the entry Kustomization substitutes the --var variables (strategy Always)")
	vars := map[string]string{}
	fs.Func("var", "NAME=VALUE for --substitute (repeatable)", func(pair string) error {
		name, value, ok := strings.Cut(pair, "=")
		if !ok || name == "" {
			return fmt.Errorf("--var expects NAME=VALUE")
		}
		vars[name] = value
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *root == "" || *entry == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: oracle --root REPO --entry PATH [--json] [--strict] [--substitute [--var NAME=VALUE]...]")
		return 2
	}
	abs, err := filepath.Abs(*root)
	if err != nil {
		fmt.Fprintf(stderr, "oracle: %v\n", err)
		return 2
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "oracle: --root %s is not a directory\n", *root)
		return 2
	}
	if len(vars) > 0 && !*substitute {
		fmt.Fprintln(stderr, "oracle: --var needs --substitute")
		return 2
	}
	o := Oracle{Root: abs, Entry: *entry, Strict: *strict}
	if *substitute {
		o.Substitute = vars
	}
	out := o.Run()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "oracle: %v\n", err)
		return 1
	}
	return 0
}
