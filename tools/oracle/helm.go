package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/fluxcd/pkg/apis/meta"
	fluxchartutil "github.com/fluxcd/pkg/chartutil"
	"github.com/go-logr/logr"
	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// release computes one HelmRelease's values the way helm-controller does:
// ChartValuesFromReferences(namespace, spec.values, spec.valuesFrom...) gives the user values,
// then Helm v4's install path runs ProcessDependencies and CoalesceValues with the chart.
func (o Oracle) release(ctx context.Context, kube client.Client, a applied, out *Output) (r ReleaseOut) {
	defer func() {
		if p := recover(); p != nil {
			r.Values = nil
			r.Error = fmt.Sprintf("recovered from panic: %v", p)
		}
	}()
	hr := a.obj
	id := "HelmRelease/" + key(hr)
	r = ReleaseOut{Name: hr.GetName(), Namespace: namespaceOf(hr), Kustomization: key(a.ks)}
	r.KsPath, _, _ = unstructured.NestedString(a.ks.Object, "spec", "path")
	r.Chart, _, _ = unstructured.NestedFieldCopy(hr.Object, "spec", "chart")
	r.ChartRef, _, _ = unstructured.NestedFieldCopy(hr.Object, "spec", "chartRef")
	r.ValuesFrom, _, _ = unstructured.NestedFieldCopy(hr.Object, "spec", "valuesFrom")

	// spec.values reaches the controller as JSON (apiextensionsv1.JSON): numbers are float64.
	r.UserValues = map[string]any{}
	if v, ok, _ := unstructured.NestedFieldNoCopy(hr.Object, "spec", "values"); ok && v != nil {
		if err := jsonRoundTrip(v, &r.UserValues); err != nil {
			r.Error = "spec.values: " + err.Error()
			return r
		}
	}
	var refs []meta.ValuesReference
	if vf, ok, _ := unstructured.NestedFieldNoCopy(hr.Object, "spec", "valuesFrom"); ok && vf != nil {
		if err := jsonRoundTrip(vf, &refs); err != nil {
			r.Error = "spec.valuesFrom: " + err.Error()
			return r
		}
	}
	composed, err := fluxchartutil.ChartValuesFromReferences(ctx, logr.Discard(), kube, r.Namespace,
		deepCopy(r.UserValues), refs...)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.ComposedValues = map[string]any(composed)

	chartDir, why := o.findChart(hr)
	if chartDir == "" {
		out.NotModelled = append(out.NotModelled, NotModelled{Object: id, What: why})
		return r
	}
	r.ChartPath, _ = filepath.Rel(o.Root, chartDir)
	r.ChartPath = filepath.ToSlash(r.ChartPath)
	if vf, ok, _ := unstructured.NestedStringSlice(hr.Object, "spec", "chart", "spec", "valuesFiles"); ok && len(vf) > 0 {
		out.NotModelled = append(out.NotModelled, NotModelled{Object: id,
			What: "spec.chart.spec.valuesFiles (source-controller replaces the chart's values.yaml); values use the chart's values.yaml"})
	}
	ch, err := loader.Load(chartDir)
	if err != nil {
		r.Error = "load chart: " + err.Error()
		return r
	}
	for _, dep := range ch.Metadata.Dependencies {
		if !hasSubchart(ch, dep.Name) {
			out.NotModelled = append(out.NotModelled, NotModelled{Object: id, What: fmt.Sprintf(
				"chart dependency %q (%s) is not vendored under %s/charts: source-controller would fetch it; its values.yaml defaults are missing here",
				dep.Name, dep.Repository, r.ChartPath)})
		}
	}
	vals := deepCopy(r.ComposedValues)
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		r.Error = "chart dependencies processing failed: " + err.Error()
		return r
	}
	final, err := commonutil.CoalesceValues(ch, vals)
	if err != nil {
		r.Error = "coalesce: " + err.Error()
		return r
	}
	// Round-trip so the output holds plain JSON types (common.Values is a named map).
	r.Values = map[string]any{}
	if err := jsonRoundTrip(map[string]any(final), &r.Values); err != nil {
		r.Error = "values: " + err.Error()
		return r
	}
	if err := commonutil.ValidateAgainstSchema(ch, final); err != nil {
		r.Error = "values don't meet the specifications of the schema(s): " + err.Error()
	}
	return r
}

// findChart locates a HelmRelease's chart in the repository: a path for a GitRepository
// (or Bucket) source, otherwise the in-repo chart directory whose Chart.yaml name matches.
func (o Oracle) findChart(hr *unstructured.Unstructured) (string, string) {
	if ref, ok, _ := unstructured.NestedMap(hr.Object, "spec", "chartRef"); ok && ref != nil {
		return "", fmt.Sprintf("spec.chartRef (%v/%v): the chart artifact is not in this repository", ref["kind"], ref["name"])
	}
	name, _, _ := unstructured.NestedString(hr.Object, "spec", "chart", "spec", "chart")
	kind, _, _ := unstructured.NestedString(hr.Object, "spec", "chart", "spec", "sourceRef", "kind")
	if name == "" {
		return "", "no spec.chart.spec.chart"
	}
	if kind == "GitRepository" || kind == "Bucket" {
		dir := filepath.Join(o.Root, filepath.FromSlash(cleanRel(name)))
		if st, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil && st.Mode().IsRegular() {
			return dir, ""
		}
		return "", fmt.Sprintf("chart path %q has no Chart.yaml in this repository", name)
	}
	version, _, _ := unstructured.NestedString(hr.Object, "spec", "chart", "spec", "version")
	matches := o.chartsNamed(name)
	if len(matches) == 0 {
		return "", fmt.Sprintf("chart %q (%s source) is not in this repository", name, kind)
	}
	for _, m := range matches {
		if m.version == version {
			return m.dir, ""
		}
	}
	return matches[0].dir, ""
}

func hasSubchart(ch *chart.Chart, name string) bool {
	for _, sub := range ch.Dependencies() {
		if sub.Name() == name {
			return true
		}
	}
	return false
}

type inRepoChart struct{ dir, version string }

func (o Oracle) chartsNamed(name string) []inRepoChart {
	var out []inRepoChart
	_ = filepath.WalkDir(o.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != "Chart.yaml" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		var meta chart.Metadata
		if yaml.Unmarshal(data, &meta) == nil && meta.Name == name {
			out = append(out, inRepoChart{dir: filepath.Dir(p), version: meta.Version})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

func jsonRoundTrip(in any, out any) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

func deepCopy(m map[string]any) common.Values {
	out := map[string]any{}
	_ = jsonRoundTrip(m, &out)
	return out
}
