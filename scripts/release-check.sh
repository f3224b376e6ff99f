#!/usr/bin/env bash
# Builds every release archive locally, the way a release would, without
# publishing anything: checks .goreleaser.yaml, runs a goreleaser snapshot
# into dist/, checks that the 8 archives and the checksums are there, and
# runs the linux/amd64 binary to show the version stamped into it.
#
# goreleaser is built from the Go module proxy at a pinned version into a
# cache folder, once (about 6 minutes from an empty module cache on a
# 2-CPU machine); no other network is used. The pin must build with the
# local Go (GOTOOLCHAIN=local: v2.18 needs go 1.27) and v2.17 pulls
# go.digitalxero.dev/go-msix, which a proxy limited to well-known module
# hosts refuses; v2.16.0 needs neither.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

goreleaser_version=v2.16.0
tools="${XDG_CACHE_HOME:-$HOME/.cache}/vouch/tools/goreleaser-$goreleaser_version"
goreleaser="$tools/goreleaser"

if [ ! -x "$goreleaser" ]; then
  echo "== installing goreleaser $goreleaser_version into $tools"
  start=$SECONDS
  GOBIN="$tools" CGO_ENABLED=0 go install "github.com/goreleaser/goreleaser/v2@$goreleaser_version"
  echo "   took $((SECONDS - start))s"
fi

echo "== goreleaser check"
"$goreleaser" check

# goreleaser reads the remote's URL with every other git fact; in a clone
# with no remote that read fails and it stamps commit "none". Name the
# future home for this run only (environment, not .git/config; nothing is
# contacted: ls-remote --get-url only prints it).
if [ -z "$(git remote)" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url
  export GIT_CONFIG_VALUE_0=https://github.com/vouchdev/vouch.git
fi

echo "== goreleaser release --snapshot"
# --skip=publish is implied by --snapshot; said here so the intent is plain.
"$goreleaser" release --snapshot --clean --skip=publish

echo "== archives"
shopt -s nullglob
archives=(dist/vouch_*.tar.gz dist/vouch_*.zip)
want=(
  linux_amd64.tar.gz linux_arm64.tar.gz
  darwin_amd64.tar.gz darwin_arm64.tar.gz
  freebsd_amd64.tar.gz freebsd_arm64.tar.gz
  windows_amd64.zip windows_arm64.zip
)
for w in "${want[@]}"; do
  found=(dist/vouch_*_"$w")
  if [ ${#found[@]} -ne 1 ]; then
    echo "release-check: want one dist/vouch_*_$w, found ${#found[@]}" >&2
    exit 1
  fi
done
if [ ${#archives[@]} -ne ${#want[@]} ]; then
  echo "release-check: want ${#want[@]} archives, found ${#archives[@]}: ${archives[*]}" >&2
  exit 1
fi
ls -l "${archives[@]}"

echo "== checksums"
[ -s dist/checksums.txt ] || { echo "release-check: dist/checksums.txt missing or empty" >&2; exit 1; }
(cd dist && sha256sum --check --strict checksums.txt)
if [ "$(wc -l < dist/checksums.txt)" -ne ${#want[@]} ]; then
  echo "release-check: dist/checksums.txt should list ${#want[@]} archives" >&2
  exit 1
fi

echo "== linux/amd64 binary"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
linux=(dist/vouch_*_linux_amd64.tar.gz)
tar -xzf "${linux[0]}" -C "$tmp"
[ -f "$tmp/README.md" ] || { echo "release-check: README.md missing from ${linux[0]}" >&2; exit 1; }
file "$tmp/vouch" 2>/dev/null || true
out=$("$tmp/vouch" version)
echo "$out"
# The -X flags must have reached main: a version, a commit and a date.
if ! [[ "$out" =~ ^vouch\ [0-9]+\.[0-9]+\.[0-9]+.*\ \([0-9a-f]{40},\ [0-9]{4}-[0-9]{2}-[0-9]{2}T ]]; then
  echo "release-check: version, commit or date not stamped: $out" >&2
  exit 1
fi
size=$(stat -c %s "$tmp/vouch")
echo "size (stripped, -s -w): $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f MB, %.1f MiB", s / 1e6, s / 1048576 }')); mkcert's stripped: 4.5 MB"
