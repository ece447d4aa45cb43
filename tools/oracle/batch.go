package main

// Batch subcommands for the Python building blocks' property tests: one process, JSON lines in and out,
// no repository build. Each line is answered by the same library calls kustomize-controller makes.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	fluxchartutil "github.com/fluxcd/pkg/chartutil"
	"github.com/fluxcd/pkg/envsubst"
	generator "github.com/fluxcd/pkg/kustomize"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/provider"
)

// varsubRegex is fluxcd/pkg/kustomize's (unexported) variable-name rule.
const varsubRegex = "^[_[:alpha:]][_[:alpha:][:digit:]]*$"

type envsubstCase struct {
	Text   string            `json:"text"`
	Vars   map[string]string `json:"vars"`
	Strict bool              `json:"strict"`
}

type envsubstAnswer struct {
	Out   *string `json:"out,omitempty"`
	Bytes string  `json:"bytes,omitempty"` // base64 of out: a byte slice may cut a character
	Error *string `json:"error,omitempty"`
}

// runEnvsubst is varSubstitution (kustomize_varsub.go) up to envsubst.Eval: names validated (in sorted
// order, where the controller's map order is random), then the strict or non-strict mapper.
func runEnvsubst(c envsubstCase) (ans envsubstAnswer) {
	defer func() {
		if p := recover(); p != nil {
			msg := fmt.Sprintf("panic: %v", p)
			ans = envsubstAnswer{Error: &msg}
		}
	}()
	names := make([]string, 0, len(c.Vars))
	for k := range c.Vars {
		names = append(names, k)
	}
	sort.Strings(names)
	r := regexp.MustCompile(varsubRegex)
	for _, v := range names {
		if !r.MatchString(v) {
			msg := fmt.Sprintf("'%s' var name is invalid, must match '%s'", v, varsubRegex)
			return envsubstAnswer{Error: &msg}
		}
	}
	out, err := envsubst.Eval(c.Text, func(s string) (string, bool) {
		if c.Strict {
			v, exists := c.Vars[s]
			return v, exists
		}
		return c.Vars[s], true
	})
	if err != nil {
		msg := err.Error()
		return envsubstAnswer{Error: &msg}
	}
	return envsubstAnswer{Out: &out, Bytes: base64.StdEncoding.EncodeToString([]byte(out))}
}

type scalarCase struct {
	YAML   string            `json:"yaml"`
	Vars   map[string]string `json:"vars"` // present: run SubstituteVariables with these inline vars
	Strict bool              `json:"strict"`
}

type scalarAnswer struct {
	JSON  json.RawMessage `json:"json,omitempty"`  // field "k" of the resource's JSON (kyaml: go-yaml v3)
	Value json.RawMessage `json:"value,omitempty"` // the same after a float64 decode (apiextensions JSON)
	Error *string         `json:"error,omitempty"`
}

const scalarHeader = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: oracle\n"

// runScalar reads `yaml` (top-level lines) as a manifest the way kustomize does (resource factory →
// kyaml RNode → MarshalJSON); with vars, it then runs fluxcd/pkg/kustomize.SubstituteVariables (inline
// substitute only, strategy Always) and reads the resource's JSON again.
func runScalar(c scalarCase) (ans scalarAnswer) {
	fail := func(err error) scalarAnswer {
		msg := err.Error()
		return scalarAnswer{Error: &msg}
	}
	defer func() {
		if p := recover(); p != nil {
			ans = fail(fmt.Errorf("panic: %v", p))
		}
	}()
	rf := provider.NewDefaultDepProvider().GetResourceFactory()
	res, err := rf.FromBytes([]byte(scalarHeader + c.YAML))
	if err != nil {
		return fail(err)
	}
	if c.Vars != nil {
		vars := map[string]interface{}{}
		for k, v := range c.Vars {
			vars[k] = v
		}
		ks := unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
			"metadata": map[string]interface{}{"name": "oracle", "namespace": "flux-system"},
			"spec":     map[string]interface{}{"postBuild": map[string]interface{}{"substitute": vars}},
		}}
		out, err := generator.SubstituteVariables(context.Background(), nil, ks, res,
			generator.SubstituteWithDryRun(true), generator.SubstituteWithStrict(c.Strict),
			generator.SubstituteWithAlways(true))
		if err != nil {
			return fail(err)
		}
		res = out
	}
	data, err := res.MarshalJSON()
	if err != nil {
		return fail(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fail(err)
	}
	field, ok := raw["k"]
	if !ok {
		return fail(fmt.Errorf("no field k in %s", data))
	}
	var decoded interface{}
	if err := json.Unmarshal(field, &decoded); err != nil {
		return fail(err)
	}
	value, err := json.Marshal(decoded)
	if err != nil {
		return fail(err)
	}
	return scalarAnswer{JSON: field, Value: value}
}

type strvalsCase struct {
	Values  map[string]interface{} `json:"values"`
	Path    string                 `json:"path"`
	Data    string                 `json:"data"`
	Literal bool                   `json:"literal"`
}

type strvalsAnswer struct {
	Values map[string]interface{} `json:"values,omitempty"`
	Error  *string                `json:"error,omitempty"`
}

// runStrvals is what ChartValuesFromReferences does with one targetPath entry: ReplacePathValue (or
// ReplacePathLiteralValue for `literal: true`) of `data` at `path` into `values` (Helm's strvals parser).
func runStrvals(c strvalsCase) (ans strvalsAnswer) {
	defer func() {
		if p := recover(); p != nil {
			msg := fmt.Sprintf("panic: %v", p)
			ans = strvalsAnswer{Error: &msg}
		}
	}()
	values := c.Values
	if values == nil {
		values = map[string]interface{}{}
	}
	merge := fluxchartutil.ReplacePathValue
	if c.Literal {
		merge = fluxchartutil.ReplacePathLiteralValue
	}
	if err := merge(values, c.Path, c.Data); err != nil {
		msg := err.Error()
		return strvalsAnswer{Error: &msg}
	}
	return strvalsAnswer{Values: values}
}

// runBatch answers each JSON line of stdin with one JSON line on stdout.
func runBatch(mode string, stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		var err error
		switch mode {
		case "envsubst":
			var c envsubstCase
			if err = json.Unmarshal([]byte(line), &c); err == nil {
				err = enc.Encode(runEnvsubst(c))
			}
		case "strvals":
			var c strvalsCase
			if err = json.Unmarshal([]byte(line), &c); err == nil {
				err = enc.Encode(runStrvals(c))
			}
		default:
			var c scalarCase
			if err = json.Unmarshal([]byte(line), &c); err == nil {
				err = enc.Encode(runScalar(c))
			}
		}
		if err != nil {
			return err
		}
		// One answer per line, flushed: a test may keep one process and ask case by case.
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return in.Err()
}
