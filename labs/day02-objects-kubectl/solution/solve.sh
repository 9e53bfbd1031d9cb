#!/usr/bin/env bash
# Day 02, reference solution of the cluster tasks: the chapter's steps without the commentary.
# Uses kubectl and $KUBECONFIG, and the YAML files next to the chapter. Safe to run again:
# `kubectl apply` puts the files' values back, and the patches then change them again.
set -euo pipefail
: "${KUBECONFIG:?set KUBECONFIG to the kubeconfig of your cluster}"
day="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Step 1: a namespace, declared in a file.
kubectl apply -f "$day/namespace.yaml"

# Step 2: create once, then manage with apply (the first apply adopts the object and records
# the last-applied-configuration annotation); then edit the file and apply again.
kubectl get configmap settings -n lab02 >/dev/null 2>&1 || kubectl create -f "$day/settings.yaml"
kubectl apply -f "$day/settings.yaml"
sed 's/color: blue/color: green/' "$day/settings.yaml" > "$work/settings.yaml"
kubectl apply -f "$work/settings.yaml"

# Step 3: a JSON merge patch: keys merge, null deletes.
kubectl patch configmap settings -n lab02 --type=merge -p '{"data":{"mode":null,"size":"large"}}'

# Step 4: a strategic merge patch (kubectl patch's default): containers merge by name, so the
# sidecar stays.
kubectl apply -f "$day/web.yaml"
kubectl patch deployment web -n lab02 \
  -p '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"busybox:1.37"}]}}}}'

# Step 5: a JSON patch: a list of operations on paths; "/" inside a key is written "~1".
kubectl patch deployment web -n lab02 --type=json -p '[
  {"op":"replace","path":"/spec/replicas","value":3},
  {"op":"add","path":"/metadata/annotations/lab.kubeling.dev~1patched-by","value":"json-patch"}]'

# Step 6: label what a set-based selector picks (note `cache`: it has no env label at all).
kubectl apply -f "$day/pods.yaml"
kubectl label pods -n lab02 -l 'tier in (frontend,backend),env!=prod' selected=yes --overwrite

# Step 7: label and field selectors together.
kubectl annotate pods -n lab02 -l tier=backend --field-selector spec.restartPolicy=Never \
  lab.kubeling.dev/one-shot=true --overwrite
