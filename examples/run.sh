#!/usr/bin/env bash
# `npm run examples`: the main jobs on the bundled examples, as a newcomer would run them.
#  1. lint the healthy setup (no findings), then the one that needs review (findings, exit 1);
#  2. generate a fresh healthy identity setup (keys made now, nothing committed) and check it.
set -u
cd "$(dirname "$0")/.."
cli="node dist/bin/main.js"
status=0

echo "== lint examples/manifests/healthy"
$cli lint examples/manifests/healthy || status=$?
echo
echo "== lint examples/manifests/needs-review (expected: findings, exit 1)"
$cli lint examples/manifests/needs-review
code=$?
[ "$code" -eq 1 ] || status=$code
echo
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
node dist/test/helpers/example-setup.js "$dir" >/dev/null || status=$?
echo "== check --from <a freshly generated healthy setup>"
$cli check --from "$dir" || status=$?
exit "$status"
