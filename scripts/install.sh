#!/bin/sh
# Installs the muster binary for this machine.
#
#   curl -fsSL <release>/install.sh | sh
#   MUSTER_DOWNLOAD_URL=https://example.com/muster/v0.1.0 MUSTER_INSTALL_DIR=/usr/local/bin sh install.sh
#
# Detects the OS, CPU and C library (glibc or musl), downloads
# muster-<os>-<arch>[-musl] and SHA256SUMS from $MUSTER_DOWNLOAD_URL
# (default: the latest GitHub release of muster), verifies the checksum and
# installs to $MUSTER_INSTALL_DIR (default: ~/.local/bin). POSIX sh only.
set -eu

DEFAULT_URL="https://github.com/muster-run/muster/releases/latest/download"
BASE_URL="${MUSTER_DOWNLOAD_URL:-$DEFAULT_URL}"
INSTALL_DIR="${MUSTER_INSTALL_DIR:-${HOME}/.local/bin}"

fail() {
  echo "muster install: $*" >&2
  exit 1
}

os=$(uname -s)
arch=$(uname -m)
case "$os" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN*) fail "on Windows, download muster-windows-x64.exe from $BASE_URL instead" ;;
  *) fail "unsupported operating system: $os (supported: Linux, macOS)" ;;
esac
case "$arch" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "unsupported CPU architecture: $arch (supported: x86_64, arm64)" ;;
esac

libc=""
if [ "$os" = linux ]; then
  if ls /lib/ld-musl-* >/dev/null 2>&1 || (ldd --version 2>&1 | grep -qi musl); then
    libc="-musl"
  fi
fi
asset="muster-${os}-${arch}${libc}"

fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL "$1" -o "$2"
  elif command -v wget >/dev/null 2>&1; then
    wget -q "$1" -O "$2"
  else
    fail "neither curl nor wget is available"
  fi
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    fail "neither sha256sum nor shasum is available to verify the download"
  fi
}

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t muster-install)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "muster install: downloading $asset from $BASE_URL" >&2
fetch "$BASE_URL/SHA256SUMS" "$tmp/SHA256SUMS" || fail "could not download $BASE_URL/SHA256SUMS"
fetch "$BASE_URL/$asset" "$tmp/$asset" || fail "could not download $BASE_URL/$asset"

expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1 }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS has no entry for $asset"
actual=$(sha256 "$tmp/$asset")
[ "$expected" = "$actual" ] || fail "checksum mismatch for $asset (expected $expected, got $actual): refusing to install"

mkdir -p "$INSTALL_DIR"
chmod 755 "$tmp/$asset"
mv -f "$tmp/$asset" "$INSTALL_DIR/muster"
echo "muster install: installed $("$INSTALL_DIR/muster" --version 2>/dev/null || echo muster) to $INSTALL_DIR/muster" >&2
case ":$PATH:" in
  *":$INSTALL_DIR:"*) ;;
  *) echo "muster install: add $INSTALL_DIR to your PATH" >&2 ;;
esac
