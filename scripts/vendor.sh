#!/usr/bin/env bash
# Fetch the pinned browser libraries from the npm registry and copy their built files into
# client/static/vendor/. There is no build step: pages load these files as they are.
# Run from anywhere: scripts/vendor.sh   (needs npm and sha256sum; only the npm registry is contacted)
set -euo pipefail

# Pinned: the newest 4.8.x of socket.io-client (matches the server's Engine.IO 4 / socket.io v5 protocol).
SOCKET_IO_CLIENT_VERSION="4.8.4"
# Yjs (the CRDT the worksheets use; the server merges with pycrdt) and what it imports, bundled once into one
# ES module, client/static/vendor/yjs.mjs, by esbuild. The bundle is committed: nothing is built at run time.
YJS_VERSION="13.6.33"
LIB0_VERSION="0.2.120"
ISOMORPHIC_JS_VERSION="0.2.5"
ESBUILD_VERSION="0.28.2"
# axe-core: the accessibility checker the browser tests run on every page (tests/e2e/test_accessibility.py).
# Tests only: it goes to tests/e2e/vendor/, never to the static files the app serves.
AXE_CORE_VERSION="4.14.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/client/static/vendor"
TEST_DEST="$ROOT/tests/e2e/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$DEST" "$TEST_DEST"

# npm pack downloads the published tarball without installing anything or running package scripts.
fetch_package() {
  local spec="$1"
  (cd "$WORK" && npm pack --silent --ignore-scripts "$spec" >/dev/null)
}

fetch_package "socket.io-client@${SOCKET_IO_CLIENT_VERSION}"
mkdir -p "$WORK/socket.io-client"
tar -xzf "$WORK/socket.io-client-${SOCKET_IO_CLIENT_VERSION}.tgz" -C "$WORK/socket.io-client"
PKG="$WORK/socket.io-client/package"

# Refuse a tarball that is not the version we asked for.
actual_version="$(node -p "require('$PKG/package.json').version" 2>/dev/null || sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$PKG/package.json" | head -n1)"
if [ "$actual_version" != "$SOCKET_IO_CLIENT_VERSION" ]; then
  echo "vendor.sh: expected socket.io-client $SOCKET_IO_CLIENT_VERSION, got $actual_version" >&2
  exit 1
fi

cp "$PKG/dist/socket.io.min.js" "$DEST/socket.io.min.js"
cp "$PKG/LICENSE" "$DEST/socket.io-client.LICENSE"

# --- Yjs: unpack yjs, lib0 and isomorphic.js as node_modules, then bundle them into one minified ES module.
BUNDLE="$WORK/yjs-bundle"
mkdir -p "$BUNDLE/node_modules"
for spec in "yjs@${YJS_VERSION}" "lib0@${LIB0_VERSION}" "isomorphic.js@${ISOMORPHIC_JS_VERSION}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  fetch_package "$spec"
  mkdir -p "$BUNDLE/node_modules/$name"
  tar -xzf "$WORK/${name}-${version}.tgz" -C "$BUNDLE/node_modules/$name" --strip-components=1
  got="$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$BUNDLE/node_modules/$name/package.json" | head -n1)"
  if [ "$got" != "$version" ]; then
    echo "vendor.sh: expected $name $version, got $got" >&2
    exit 1
  fi
done
cat > "$BUNDLE/entry.mjs" <<'JS'
export * from "yjs";
JS
# esbuild comes from npm (its platform binary is an npm package too); --yes only skips npx's prompt.
(cd "$BUNDLE" && npx --yes "esbuild@${ESBUILD_VERSION}" entry.mjs --bundle --format=esm --minify \
  --target=es2019 --legal-comments=none --outfile="$DEST/yjs.mjs" --log-level=warning)
# Yjs refuses to load twice in one page; the bundle must not use eval (the pages' CSP forbids it).
if grep -q "eval(" "$DEST/yjs.mjs" || grep -q "new Function" "$DEST/yjs.mjs"; then
  echo "vendor.sh: the Yjs bundle uses eval or new Function, which the CSP forbids" >&2
  exit 1
fi
cp "$BUNDLE/node_modules/yjs/LICENSE" "$DEST/yjs.LICENSE"
cp "$BUNDLE/node_modules/lib0/LICENSE" "$DEST/lib0.LICENSE"

# --- axe-core, for the tests: its own built file, as published.
fetch_package "axe-core@${AXE_CORE_VERSION}"
mkdir -p "$WORK/axe-core"
tar -xzf "$WORK/axe-core-${AXE_CORE_VERSION}.tgz" -C "$WORK/axe-core"
got="$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$WORK/axe-core/package/package.json" | head -n1)"
if [ "$got" != "$AXE_CORE_VERSION" ]; then
  echo "vendor.sh: expected axe-core $AXE_CORE_VERSION, got $got" >&2
  exit 1
fi
cp "$WORK/axe-core/package/axe.min.js" "$TEST_DEST/axe.min.js"
cp "$WORK/axe-core/package/LICENSE" "$TEST_DEST/axe-core.LICENSE"

{
  echo "# Vendored browser libraries. Regenerate with scripts/vendor.sh; do not edit by hand."
  echo "# package version file sha256"
  for file in socket.io.min.js socket.io-client.LICENSE; do
    sum="$(sha256sum "$DEST/$file" | cut -d' ' -f1)"
    echo "socket.io-client ${SOCKET_IO_CLIENT_VERSION} ${file} ${sum}"
  done
  echo "# yjs.mjs bundles yjs ${YJS_VERSION} + lib0 ${LIB0_VERSION} + isomorphic.js ${ISOMORPHIC_JS_VERSION} (esbuild ${ESBUILD_VERSION})"
  for spec in "yjs ${YJS_VERSION} yjs.mjs" "yjs ${YJS_VERSION} yjs.LICENSE" "lib0 ${LIB0_VERSION} lib0.LICENSE"; do
    file="${spec##* }"
    sum="$(sha256sum "$DEST/$file" | cut -d' ' -f1)"
    echo "${spec} ${sum}"
  done
  echo "# tests only, in tests/e2e/vendor/ (never served): axe-core ${AXE_CORE_VERSION}"
  for file in axe.min.js axe-core.LICENSE; do
    sum="$(sha256sum "$TEST_DEST/$file" | cut -d' ' -f1)"
    echo "axe-core ${AXE_CORE_VERSION} ${file} ${sum}"
  done
} > "$DEST/VERSIONS.txt"

echo "vendor.sh: socket.io-client ${SOCKET_IO_CLIENT_VERSION}, yjs ${YJS_VERSION} (lib0 ${LIB0_VERSION}) -> ${DEST#"$ROOT"/}; axe-core ${AXE_CORE_VERSION} -> ${TEST_DEST#"$ROOT"/}"
cat "$DEST/VERSIONS.txt"
