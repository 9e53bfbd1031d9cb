#!/usr/bin/env bash
# Day 03, reference solution of the cluster tasks: the chapter's steps without the commentary.
# Uses kubectl and $KUBECONFIG, the YAML files next to the chapter, and for step 9 the kubeling
# binary ($KUBELING, else `kubeling` on the PATH, else target/debug/kubeling). Safe to run again.
#
# On kubeling it creates the four nodes as API objects. On kind, label four real workers first
# (see "On kind" in the chapter): nodes labelled lab03=a already there are used as they are.
set -euo pipefail
: "${KUBECONFIG:?set KUBECONFIG to the kubeconfig of your cluster}"
day="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$day/../.." && pwd)"
kubeling="${KUBELING:-$(command -v kubeling || echo "$repo/target/debug/kubeling")}"

# Wait until pod $1 (namespace lab03) has a node; print it.
wait_scheduled() {
  for _ in $(seq 1 150); do
    node="$(kubectl get pod "$1" -n lab03 -o jsonpath='{.spec.nodeName}')"
    if [ -n "$node" ]; then echo "$1 -> $node"; return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for $1 to be scheduled" >&2
  kubectl describe pod "$1" -n lab03 >&2
  return 1
}

kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: lab03
EOF

# Step 2: nodes are API objects; a kubelet would report their capacity through /status.
if [ -z "$(kubectl get nodes -l lab03=a -o name)" ]; then
  kubectl apply -f "$day/nodes.yaml"
  for n in lab03-a lab03-b lab03-c lab03-d; do
    kubectl patch node "$n" --subresource=status --type=merge \
      -p '{"status":{"capacity":{"cpu":"4","memory":"8Gi","pods":"110"},"allocatable":{"cpu":"4","memory":"8Gi","pods":"110"}}}'
  done
fi
# One scarce thing, an extended resource, on node a only (step 8 fights over it).
a="$(kubectl get nodes -l lab03=a -o jsonpath='{.items[0].metadata.name}')"
kubectl patch node "$a" --subresource=status --type=merge \
  -p '{"status":{"capacity":{"lab.kubeling.dev/slot":"1"},"allocatable":{"lab.kubeling.dev/slot":"1"}}}'

# Step 4: a taint repels; a toleration lets one pod through; the nodeSelector takes it there.
kubectl taint nodes -l lab03=b dedicated=lab:NoSchedule --overwrite
kubectl apply -f "$day/tolerant.yaml"
wait_scheduled lab03-tolerant

# Step 5: a pod whose nodeSelector no node matches stays Pending and says why.
kubectl apply -f "$day/pending.yaml"

# Step 7: six pods spread over the two zones.
kubectl apply -f "$day/spread.yaml"
for i in 1 2 3 4 5 6; do wait_scheduled "spread-$i"; done

# Step 8: lab03-low takes the slot, then lab03-vip (higher priority) preempts it.
if [ -z "$(kubectl get pod lab03-vip -n lab03 -o name --ignore-not-found)" ]; then
  kubectl apply -f "$day/low.yaml"
  wait_scheduled lab03-low
  kubectl apply -f "$day/vip.yaml"
fi
wait_scheduled lab03-vip

# Step 9: a pod for my-scheduler waits until a scheduler of that name runs.
kubectl apply -f "$day/custom.yaml"
if [ -z "$(kubectl get pod lab03-custom -n lab03 -o jsonpath='{.spec.nodeName}')" ]; then
  "$kubeling" scheduler --scheduler-name my-scheduler --kubeconfig "$KUBECONFIG" --port 0 &
  second=$!
  trap 'kill "$second" 2>/dev/null || true' EXIT
  wait_scheduled lab03-custom
  kill "$second"
  wait "$second" || true
  trap - EXIT
fi

# Step 5 again: give the scheduler a moment to record why lab03-pending cannot run.
for _ in $(seq 1 50); do
  message="$(kubectl get pod lab03-pending -n lab03 \
    -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}')"
  case "$message" in *"node affinity/selector"*) echo "lab03-pending: $message"; break ;; esac
  sleep 0.2
done
