#!/usr/bin/env bash
# Day 01, reference solution of the cluster tasks: the chapter's steps without the commentary.
# Uses kubectl and $KUBECONFIG (as the chapter uses curl, this uses `kubectl get --raw` and
# `kubectl replace`, which speak the same REST API). Compacting etcd needs etcdctl and etcd's
# client URL: $ETCDCTL_ENDPOINTS, else the port `kubeling up` remembers in DIR/ports next to
# the kubeconfig. Safe to run again: every run redoes the steps and leaves the same state.
set -euo pipefail
: "${KUBECONFIG:?set KUBECONFIG to the kubeconfig of your cluster}"
export ETCDCTL_API=3
ns=lab01
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Step 1: the namespace.
kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: lab01
YAML

# Step 2: the ConfigMap two writers will fight over.
if ! kubectl get configmap lab01-concurrency -n $ns >/dev/null 2>&1; then
  kubectl create -f - <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: lab01-concurrency, namespace: lab01}
data: {writer: nobody}
YAML
fi

# Steps 3 and 4: A and B both read the same resourceVersion; A writes first; B's PUT names the
# stale version and gets 409 Conflict; B reads again and retries. A PUT replaces the whole
# object, so each body carries every key (etcdKey is where step 3 found it in etcd).
key=/registry/configmaps/$ns/lab01-concurrency
rv() { kubectl get configmap lab01-concurrency -n $ns -o jsonpath='{.metadata.resourceVersion}'; }
put() { # put RESOURCEVERSION DATA_JSON
  kubectl replace -f - <<JSON
{"apiVersion":"v1","kind":"ConfigMap",
 "metadata":{"name":"lab01-concurrency","namespace":"$ns","resourceVersion":"$1"},
 "data":$2}
JSON
}
read_by_both=$(rv)
put "$read_by_both" "{\"writer\":\"a\",\"etcdKey\":\"$key\"}"
if put "$read_by_both" "{\"writer\":\"b\",\"etcdKey\":\"$key\"}" 2>"$work/b.err"; then
  echo "B's stale PUT was accepted: expected 409 Conflict" >&2
  exit 1
fi
grep -q Conflict "$work/b.err" || { cat "$work/b.err" >&2; exit 1; }
echo "B got: $(cat "$work/b.err")"
put "$(rv)" "{\"writer\":\"b\",\"etcdKey\":\"$key\",\"conflictResourceVersion\":\"$read_by_both\"}"

# Step 5: note where we are, create, modify and delete lab01-watched, then watch from the noted
# resourceVersion: the watch replays the three changes. (The list's own resourceVersion comes
# before its items in the JSON, so the first one is the list's.)
start=$(kubectl get --raw "/api/v1/namespaces/$ns/configmaps?limit=1" \
  | grep -o '"resourceVersion":"[0-9]*"' | head -n1 | cut -d'"' -f4)
kubectl delete configmap lab01-watched -n $ns --ignore-not-found >/dev/null
kubectl create -f - <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: lab01-watched, namespace: lab01}
data: {n: "1"}
YAML
kubectl patch configmap lab01-watched -n $ns --type=merge -p '{"data":{"n":"2"}}'
kubectl delete configmap lab01-watched -n $ns
kubectl get --raw "/api/v1/namespaces/$ns/configmaps?watch=true&resourceVersion=$start&fieldSelector=metadata.name%3Dlab01-watched&timeoutSeconds=2" \
  > "$work/watch.txt"
events=$(sed -E 's/^\{"type":"([A-Z]+)".*"resourceVersion":"([0-9]+)".*$/\1 \2/' "$work/watch.txt" | tr '\n' ' ' | sed 's/ $//')
echo "the watch saw: $events"
kubectl apply -f - <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: lab01-watch, namespace: lab01}
data: {events: "$events"}
YAML

# Step 6: compact etcd up to its current revision, so `start` is history; then asking for it
# is 410 Expired.
endpoint="${ETCDCTL_ENDPOINTS:-}"
ports="$(dirname "$KUBECONFIG")/ports"
if [ -z "$endpoint" ] && [ -f "$ports" ]; then
  endpoint="http://127.0.0.1:$(cut -d' ' -f1 "$ports")"
fi
old_list="/api/v1/namespaces/$ns/configmaps?resourceVersion=$start&resourceVersionMatch=Exact"
if [ -n "$endpoint" ]; then
  revision=$(etcdctl --endpoints "$endpoint" endpoint status -w fields | awk '/"Revision"/ {print $3}')
  etcdctl --endpoints "$endpoint" compact "$revision"
else
  # kind and other clusters: the API server compacts etcd itself every 5 minutes.
  echo "no etcd endpoint (set ETCDCTL_ENDPOINTS); waiting for the API server's own compaction"
  for _ in $(seq 40); do
    kubectl get --raw "$old_list" >/dev/null 2>&1 || break
    sleep 15
  done
fi
if kubectl get --raw "$old_list" >/dev/null 2>"$work/old.err"; then
  echo "resourceVersion $start can still be read: not compacted" >&2
  exit 1
fi
grep -q '(Expired)' "$work/old.err" || { cat "$work/old.err" >&2; exit 1; }
echo "asking for $start: $(cat "$work/old.err")"
kubectl apply -f - <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: lab01-expired, namespace: lab01}
data: {resourceVersion: "$start", code: "410", reason: Expired}
YAML
