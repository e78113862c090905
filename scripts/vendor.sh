#!/usr/bin/env bash
# Fetch the pinned browser libraries from the npm registry and copy their built files into
# client/static/vendor/. There is no build step: pages load these files as they are.
# Run from anywhere: scripts/vendor.sh   (needs npm and sha256sum; only the npm registry is contacted)
set -euo pipefail

# Pinned: the newest 4.8.x of socket.io-client (matches the server's Engine.IO 4 / socket.io v5 protocol).
SOCKET_IO_CLIENT_VERSION="4.8.4"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/client/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$DEST"

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

{
  echo "# Vendored browser libraries. Regenerate with scripts/vendor.sh; do not edit by hand."
  echo "# package version file sha256"
  for file in socket.io.min.js socket.io-client.LICENSE; do
    sum="$(sha256sum "$DEST/$file" | cut -d' ' -f1)"
    echo "socket.io-client ${SOCKET_IO_CLIENT_VERSION} ${file} ${sum}"
  done
} > "$DEST/VERSIONS.txt"

echo "vendor.sh: socket.io-client ${SOCKET_IO_CLIENT_VERSION} -> ${DEST#"$ROOT"/}"
cat "$DEST/VERSIONS.txt"
