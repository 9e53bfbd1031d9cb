#!/usr/bin/env bash
# Install the system packages kubeling needs, only those that are missing.
#   etcd-server, etcd-client  the API server's storage (etcd, etcdctl)
#   protobuf-compiler         protoc, used at build time by gRPC crates
#   kubectl                   the real client our tests and labs drive
#   python3 (+ venv)          the official Python client, for the real-client tests
# Runs as root (CI, these VMs) or through sudo. Safe to run again: it installs nothing twice.
set -euo pipefail

need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v curl >/dev/null || need+=(curl)
command -v make >/dev/null || need+=(make)

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v kubectl >/dev/null; then
  # This image's apt sources carry a `kubectl` package; plain Debian has `kubernetes-client`.
  sudo_if_needed apt-get update -qq
  if apt-cache show kubectl >/dev/null 2>&1; then need+=(kubectl); else need+=(kubernetes-client); fi
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The official Python client, for the real-client tests: in a virtualenv of our own (.venv, next to
# this script's repository), never in the system's Python.
repo="$(cd "$(dirname "$0")/.." && pwd)"
if ! "$repo/.venv/bin/python" -c 'import kubernetes' 2>/dev/null; then
  echo "installing the Python kubernetes client into $repo/.venv"
  python3 -m venv "$repo/.venv"
  "$repo/.venv/bin/pip" install --quiet --disable-pip-version-check kubernetes
fi

for tool in etcd etcdctl protoc kubectl cargo; do
  command -v "$tool" >/dev/null || { echo "error: $tool is still missing" >&2; exit 1; }
done
echo "dependencies ok: $(etcd --version | head -1), $(protoc --version), kubectl at $(command -v kubectl)"
