package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// Oracle runs one cluster: the entry Kustomization and every Flux Kustomization it yields.
type Oracle struct {
	Root   string
	Entry  string
	Strict bool
	// Substitute, when not nil, gives the entry Kustomization a postBuild with these inline variables and
	// substituteStrategy Always: a cluster whose own flux-system Kustomization lives outside the repository
	// and substitutes the variables the user names (the linter's `clusters/<name>/` convention with --var).
	Substitute map[string]string
}

// Output is the JSON document the oracle prints. Every list is sorted.
type Output struct {
	Entry          string          `json:"entry"`
	Strict         bool            `json:"strict"`
	Kustomizations []KsOut         `json:"kustomizations"`
	Releases       []ReleaseOut    `json:"releases"`
	Errors         []ErrorOut      `json:"errors"`
	NotModelled    []NotModelled   `json:"notModelled"`
	Iterations     int             `json:"iterations"`
	Objects        []ObjectSummary `json:"objects"`
}

type KsOut struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace"`
	Path            string            `json:"path"`
	AppliedBy       string            `json:"appliedBy"`
	DependsOn       []string          `json:"dependsOn"`
	TargetNamespace string            `json:"targetNamespace,omitempty"`
	PostBuild       bool              `json:"postBuild"`
	Variables       map[string]string `json:"variables"`
	SubstituteFrom  []string          `json:"substituteFrom"`
	RemoteCluster   bool              `json:"remoteCluster"`
	Built           bool              `json:"built"`
}

type ReleaseOut struct {
	Name           string         `json:"name"`
	Namespace      string         `json:"namespace"`
	Kustomization  string         `json:"kustomization"`
	KsPath         string         `json:"kustomizationPath"`
	Chart          any            `json:"chart"`
	ChartRef       any            `json:"chartRef,omitempty"`
	ChartPath      string         `json:"chartPath"`
	ValuesFrom     any            `json:"valuesFrom,omitempty"`
	UserValues     map[string]any `json:"userValues"`
	ComposedValues map[string]any `json:"composedValues"`
	Values         map[string]any `json:"values"`
	Error          string         `json:"error,omitempty"`
}

type ErrorOut struct {
	Kustomization string `json:"kustomization"`
	Path          string `json:"path"`
	Message       string `json:"message"`
}

type NotModelled struct {
	Object string `json:"object"`
	What   string `json:"what"`
}

type ObjectSummary struct {
	APIVersion    string `json:"apiVersion"`
	Kind          string `json:"kind"`
	Namespace     string `json:"namespace"`
	Name          string `json:"name"`
	Kustomization string `json:"kustomization"`
}

const entryName, entryNamespace = "flux-system", "flux-system"

type pass struct {
	out     Output
	configs []*unstructured.Unstructured // ConfigMaps and Secrets the builds produced
	hrs     []applied
}

type applied struct {
	obj *unstructured.Unstructured
	ks  *unstructured.Unstructured
}

// Run builds the cluster. ConfigMaps/Secrets that feed substituteFrom and valuesFrom may come
// from any Kustomization of the cluster, so the whole graph is rebuilt with the objects of the
// previous pass until they stop changing (the state the cluster converges to).
func (o Oracle) Run() Output {
	ctx := context.Background()
	var configs []*unstructured.Unstructured
	var p pass
	iterations := 0
	for iterations < 5 {
		iterations++
		kube := newFakeClient(configs)
		p = o.traverse(ctx, kube)
		if fingerprint(p.configs) == fingerprint(configs) {
			break
		}
		configs = p.configs
	}
	kube := newFakeClient(p.configs)
	for _, a := range p.hrs {
		p.out.Releases = append(p.out.Releases, o.release(ctx, kube, a, &p.out))
	}
	p.out.Iterations = iterations
	finish(&p.out)
	return p.out
}

func entryKustomization(path string, substitute map[string]string) *unstructured.Unstructured {
	spec := map[string]any{
		"path":      path,
		"sourceRef": map[string]any{"kind": "GitRepository", "name": entryName},
	}
	if substitute != nil {
		vars := map[string]any{}
		for k, v := range substitute {
			vars[k] = v
		}
		spec["postBuild"] = map[string]any{"substitute": vars, "substituteStrategy": "Always"}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": fluxKustomizeGroup + "/v1",
		"kind":       "Kustomization",
		"metadata":   map[string]any{"name": entryName, "namespace": entryNamespace},
		"spec":       spec,
	}}
}

func key(u *unstructured.Unstructured) string {
	return namespaceOf(u) + "/" + u.GetName()
}

// namespaceOf is the namespace an object lands in; a namespaced object without one goes to
// "default" (kubectl's and the API client's default).
func namespaceOf(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return ns
	}
	return "default"
}

func (o Oracle) traverse(ctx context.Context, kube client.Client) pass {
	var p pass
	p.out.Entry = o.Entry
	p.out.Strict = o.Strict
	entry := entryKustomization(o.Entry, o.Substitute)
	// The cluster's own flux-system Kustomization (gotk-sync.yaml) replaces the bootstrap one
	// once applied: if the entry build yields it, the cluster runs with the repository's spec.
	if res, err := o.buildKustomization(ctx, entry, kube); err == nil {
		for _, u := range res.objects {
			if isFluxKustomization(u) && key(u) == entryNamespace+"/"+entryName {
				entry = u
			}
		}
	}
	queue := []*unstructured.Unstructured{entry}
	parent := map[string]string{key(entry): ""}
	seen := map[string]bool{}
	for len(queue) > 0 {
		ks := queue[0]
		queue = queue[1:]
		k := key(ks)
		if seen[k] {
			continue
		}
		seen[k] = true
		ksOut := describeKustomization(ks, parent[k])
		srcKind, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "kind")
		if srcKind != "GitRepository" && srcKind != "OCIRepository" {
			p.out.NotModelled = append(p.out.NotModelled, NotModelled{
				Object: "Kustomization/" + k,
				What:   fmt.Sprintf("sourceRef kind %q is not this repository; not built", srcKind),
			})
			p.out.Kustomizations = append(p.out.Kustomizations, ksOut)
			continue
		}
		res, err := o.buildKustomization(ctx, ks, kube)
		if err != nil {
			p.out.Errors = append(p.out.Errors, ErrorOut{Kustomization: k, Path: ksOut.Path, Message: err.Error()})
			p.out.Kustomizations = append(p.out.Kustomizations, ksOut)
			continue
		}
		ksOut.Built = true
		p.out.Kustomizations = append(p.out.Kustomizations, ksOut)
		var children []*unstructured.Unstructured
		for _, u := range res.objects {
			p.out.Objects = append(p.out.Objects, ObjectSummary{
				APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(),
				Name: u.GetName(), Kustomization: k,
			})
			switch {
			case isFluxKustomization(u):
				ck := key(u)
				if _, known := parent[ck]; !known {
					parent[ck] = k
				}
				children = append(children, u)
			case isHelmRelease(u):
				p.hrs = append(p.hrs, applied{obj: u, ks: ks})
			case u.GetAPIVersion() == "v1" && (u.GetKind() == "ConfigMap" || u.GetKind() == "Secret"):
				p.configs = append(p.configs, u)
			}
		}
		sort.SliceStable(children, func(i, j int) bool { return key(children[i]) < key(children[j]) })
		queue = append(queue, children...)
	}
	return p
}

func describeKustomization(ks *unstructured.Unstructured, appliedBy string) KsOut {
	out := KsOut{
		Name: ks.GetName(), Namespace: namespaceOf(ks), AppliedBy: appliedBy,
		DependsOn: []string{}, Variables: map[string]string{}, SubstituteFrom: []string{},
	}
	out.Path, _, _ = unstructured.NestedString(ks.Object, "spec", "path")
	out.TargetNamespace, _, _ = unstructured.NestedString(ks.Object, "spec", "targetNamespace")
	deps, _, _ := unstructured.NestedSlice(ks.Object, "spec", "dependsOn")
	for _, d := range deps {
		if m, ok := d.(map[string]any); ok {
			ns, _ := m["namespace"].(string)
			if ns == "" {
				ns = out.Namespace
			}
			name, _ := m["name"].(string)
			out.DependsOn = append(out.DependsOn, ns+"/"+name)
		}
	}
	kc, ok, _ := unstructured.NestedFieldNoCopy(ks.Object, "spec", "kubeConfig")
	out.RemoteCluster = ok && kc != nil // applied to another cluster through spec.kubeConfig
	pb, ok, _ := unstructured.NestedFieldNoCopy(ks.Object, "spec", "postBuild")
	out.PostBuild = ok && pb != nil
	if vars, ok, _ := unstructured.NestedStringMap(ks.Object, "spec", "postBuild", "substitute"); ok {
		out.Variables = vars
	}
	refs, _, _ := unstructured.NestedSlice(ks.Object, "spec", "postBuild", "substituteFrom")
	for _, r := range refs {
		if m, ok := r.(map[string]any); ok {
			opt := ""
			if b, _ := m["optional"].(bool); b {
				opt = "?"
			}
			out.SubstituteFrom = append(out.SubstituteFrom, fmt.Sprintf("%v/%v%s", m["kind"], m["name"], opt))
		}
	}
	return out
}

// newFakeClient serves the ConfigMaps and Secrets the builds produced, as the API server
// would store them (stringData folded into data, a missing namespace defaulted).
func newFakeClient(configs []*unstructured.Unstructured) client.Client {
	scheme := runtime.NewScheme()
	_ = corev1.AddToScheme(scheme)
	b := fake.NewClientBuilder().WithScheme(scheme)
	seen := map[string]bool{}
	for _, u := range configs {
		id := u.GetKind() + "/" + key(u)
		if seen[id] {
			continue // two Kustomizations applying one object: the first one wins here
		}
		seen[id] = true
		switch u.GetKind() {
		case "ConfigMap":
			cm := &corev1.ConfigMap{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, cm); err != nil {
				continue
			}
			cm.Namespace = namespaceOf(u)
			cm.ResourceVersion = ""
			b = b.WithObjects(cm)
		case "Secret":
			s := &corev1.Secret{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, s); err != nil {
				continue
			}
			s.Namespace = namespaceOf(u)
			s.ResourceVersion = ""
			if len(s.StringData) > 0 {
				if s.Data == nil {
					s.Data = map[string][]byte{}
				}
				for k, v := range s.StringData {
					s.Data[k] = []byte(v)
				}
				s.StringData = nil
			}
			b = b.WithObjects(s)
		}
	}
	return b.Build()
}

func fingerprint(objs []*unstructured.Unstructured) string {
	parts := make([]string, 0, len(objs))
	for _, u := range objs {
		data, _ := json.Marshal(u.Object)
		parts = append(parts, string(data))
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

func finish(out *Output) {
	if out.Kustomizations == nil {
		out.Kustomizations = []KsOut{}
	}
	if out.Releases == nil {
		out.Releases = []ReleaseOut{}
	}
	if out.Errors == nil {
		out.Errors = []ErrorOut{}
	}
	if out.NotModelled == nil {
		out.NotModelled = []NotModelled{}
	}
	if out.Objects == nil {
		out.Objects = []ObjectSummary{}
	}
	sort.SliceStable(out.Kustomizations, func(i, j int) bool {
		a, b := out.Kustomizations[i], out.Kustomizations[j]
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	sort.SliceStable(out.Releases, func(i, j int) bool {
		a, b := out.Releases[i], out.Releases[j]
		return a.Namespace+"/"+a.Name+"\x00"+a.Kustomization < b.Namespace+"/"+b.Name+"\x00"+b.Kustomization
	})
	sort.SliceStable(out.Errors, func(i, j int) bool {
		a, b := out.Errors[i], out.Errors[j]
		return a.Kustomization+"\x00"+a.Message < b.Kustomization+"\x00"+b.Message
	})
	sort.SliceStable(out.NotModelled, func(i, j int) bool {
		a, b := out.NotModelled[i], out.NotModelled[j]
		return a.Object+"\x00"+a.What < b.Object+"\x00"+b.What
	})
	sort.SliceStable(out.Objects, func(i, j int) bool {
		a, b := out.Objects[i], out.Objects[j]
		return strings.Join([]string{a.Kustomization, a.Kind, a.Namespace, a.Name}, "\x00") <
			strings.Join([]string{b.Kustomization, b.Kind, b.Namespace, b.Name}, "\x00")
	})
}

// cleanRel normalises a repository-relative path the way Flux treats spec.path and a
// GitRepository chart path: relative to the artifact root, never above it.
func cleanRel(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}
