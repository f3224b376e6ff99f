#!/usr/bin/env bash
# Runs every fuzz target for a while each: scripts/fuzz.sh [DURATION]
# (a Go duration, default 30s). New crashers land in PKG/testdata/fuzz,
# where they become regression seeds for plain `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-30s}
for pkg in ./certs ./platform; do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
    echo "== $pkg $target ($t)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg"
  done
done
