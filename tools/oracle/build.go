package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	generator "github.com/fluxcd/pkg/kustomize"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	fluxKustomizeGroup = "kustomize.toolkit.fluxcd.io"
	helmGroup          = "helm.toolkit.fluxcd.io"
)

// buildResult is the output of one Flux Kustomization build, as kustomize-controller would
// apply it: objects after kustomize build and post-build substitution.
type buildResult struct {
	objects []*unstructured.Unstructured
}

// buildKustomization reproduces KustomizationReconciler.reconcile/generate/build for one
// Flux Kustomization: a fresh scratch copy of the repository (the artifact), SecureJoin of
// spec.path, Generator.WriteFile (spec.patches, targetNamespace, namePrefix, components …),
// SecureBuild (krusty confined to the copy, no remote bases here: the oracle is offline),
// then SubstituteVariables per resource when spec.postBuild is set.
func (o *Oracle) buildKustomization(ctx context.Context, ks *unstructured.Unstructured, kube client.Client) (res buildResult, err error) {
	tmp, err := os.MkdirTemp("", "oracle-artifact-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	// Error messages must not depend on the scratch directory's random name; a panic in a library is an
	// error of this Kustomization (the controller recovers the same way), never a crash of the oracle.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered from panic: %v", r)
		}
		if err != nil {
			err = errors.New(strings.ReplaceAll(err.Error(), tmp, ""))
		}
	}()
	if err := copyTree(o.Root, tmp); err != nil {
		return res, fmt.Errorf("copy repository: %w", err)
	}
	path, _, _ := unstructured.NestedString(ks.Object, "spec", "path")
	dirPath := secureJoin(tmp, path)
	if _, err := os.Stat(dirPath); err != nil {
		return res, fmt.Errorf("kustomization path not found: %w", err)
	}
	if _, err := generator.NewGenerator(tmp, *ks).WriteFile(dirPath); err != nil {
		return res, err
	}
	m, err := generator.SecureBuild(tmp, dirPath, false)
	if err != nil {
		return res, fmt.Errorf("kustomize build failed: %w", err)
	}
	postBuild, hasPostBuild, _ := unstructured.NestedFieldNoCopy(ks.Object, "spec", "postBuild")
	hasPostBuild = hasPostBuild && postBuild != nil
	strategy, _, _ := unstructured.NestedString(ks.Object, "spec", "postBuild", "substituteStrategy")
	for _, r := range m.Resources() {
		if r.GetName() == "" || r.GetKind() == "" || r.GetApiVersion() == "" {
			return res, fmt.Errorf("failed to decode Kubernetes apiVersion, kind and name from: %v", r.String())
		}
		if hasPostBuild {
			outRes, err := generator.SubstituteVariables(ctx, kube, *ks, r,
				generator.SubstituteWithStrict(o.Strict),
				generator.SubstituteWithAlways(strategy == "Always"))
			if err != nil {
				return res, fmt.Errorf("post build failed for '%s/%s': %w", r.GetGvk(), r.GetName(), err)
			}
			if outRes != nil {
				if _, err := m.Replace(r); err != nil {
					return res, err
				}
			}
		}
	}
	data, err := m.AsYaml()
	if err != nil {
		return res, fmt.Errorf("kustomize build failed: %w", err)
	}
	res.objects, err = readObjects(data)
	return res, err
}

// readObjects mirrors fluxcd/pkg/ssa/utils.ReadObjects: a YAML stream decoded by the
// apimachinery YAML-or-JSON decoder into unstructured objects (what the API server receives).
func readObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 2048)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("failed to read object: %w", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
}

// secureJoin confines a Kustomization's spec.path to the artifact directory like
// securejoin.SecureJoin does for lexical paths (symlinks are not followed out of the root:
// copyTree does not copy them as links).
func secureJoin(root, path string) string {
	return filepath.Join(root, filepath.Clean("/"+path))
}

// copyTree copies the repository into the scratch artifact directory. Like a Flux artifact it
// leaves out .git. Symlinks are copied as what they point to when that stays inside src,
// and are dropped otherwise.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if info.IsDir() && info.Name() == ".git" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if info.Mode()&os.ModeSymlink != 0 {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return nil
			}
			if r, err := filepath.Rel(src, real); err != nil || strings.HasPrefix(r, "..") {
				return nil
			}
			st, err := os.Stat(real)
			if err != nil || st.IsDir() {
				return nil
			}
			return copyFile(real, target)
		}
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

func isFluxKustomization(u *unstructured.Unstructured) bool {
	return u.GetKind() == "Kustomization" && u.GroupVersionKind().Group == fluxKustomizeGroup
}

func isHelmRelease(u *unstructured.Unstructured) bool {
	return u.GetKind() == "HelmRelease" && u.GroupVersionKind().Group == helmGroup
}
