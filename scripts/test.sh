#!/usr/bin/env bash
# The README's test command: installs everything the tests need, builds,
# vets every platform and runs every test with VOUCH_E2E=1, under which a
# missing prerequisite fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo /root/go)/bin"

# Real clients and tools the tests drive (Debian package names).
packages=(
  ca-certificates curl openssl     # curl and openssl clients, s_client
  libnss3-tools                    # certutil, for browser NSS databases
  chromium                         # headless Chromium
  firefox-esr                      # headless Firefox over Marionette
  openjdk-17-jdk-headless          # java and keytool
  nodejs                           # node
  python3                          # python ssl/urllib
  p11-kit                          # trust, p11-kit's tool (Arch's system store)
  util-linux                       # unshare, for the mount-namespace store tests
  strace                           # counts the programs a no-op install runs
  sudo                             # a user who is not root installs through it
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi

echo "== go vet (linux, darwin, windows, freebsd)"
for os in linux darwin windows freebsd; do
  GOOS=$os GOARCH=amd64 go vet ./...
done

echo "== go build"
go build -o /dev/null .

# The release targets of .goreleaser.yaml, built as it builds them (no cgo),
# so a file that breaks one platform fails here rather than at release time.
# The full release check (goreleaser itself) is scripts/release-check.sh.
echo "== cross-build (linux, darwin, windows, freebsd × amd64, arm64)"
for os in linux darwin windows freebsd; do
  for arch in amd64 arm64; do
    CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -o /dev/null .
  done
done

# The tests of the other platforms can't run here, but they must build:
# go vet type-checks them, and this links them too.
echo "== test binaries (windows, darwin, freebsd; built, not run)"
testbins=$(mktemp -d)
trap 'rm -rf "$testbins"' EXIT
for os in windows darwin freebsd; do
  GOOS=$os GOARCH=amd64 go test -c -o "$testbins/$os/" ./...
done

echo "== go test"
export VOUCH_E2E=1
# Tests that make something to look at (the invitation page's screenshot)
# leave it here.
export VOUCH_ARTIFACTS="${VOUCH_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$VOUCH_ARTIFACTS"
# The e2e package runs about ten minutes on 2 cores (its store tests each
# start the Java hook's JVM), past go test's default 10m limit per package.
# On copies of the trust folders with Java's cacerts in step with the
# system bundle (scripts/in-step.sh says why); the machine's are not
# touched.
scripts/in-step.sh go test -count=1 -timeout 25m ./...
echo "test artifacts: $VOUCH_ARTIFACTS"
