#!/usr/bin/env bash
# bench.sh: command-level benchmarks of vouch against mkcert and openssl,
# plus peak memory and the certs package's Go benchmarks.
#
#   scripts/bench.sh            (from anywhere; builds vouch from this tree)
#
# Everything it makes lives in one temp dir, removed on exit. Each tool gets
# its own CA folder, made once before timing, so every timed run issues one
# leaf with an existing CA. The timed commands run with HOME pointed at the
# temp dir so neither tool can find a real NSS or browser profile. Only the
# two install sections (root only: scripts/bench-install.sh and
# scripts/bench-browsers.sh) install a CA, and only inside a throwaway mount
# namespace whose trust folders are tmpfs copies; the real stores are never
# touched.
#
# Goals are informational: PASS/MISS is printed, and the script exits 0
# unless a command fails.
#
# Knobs (environment):
#   BENCH_RUNS       hyperfine runs per command (default 40)
#   BENCH_WARMUP     hyperfine warm-up runs per command (default 5)
#   BENCH_RSS_RUNS   /usr/bin/time runs per command (default 5)
#   BENCH_BENCHTIME  go test -benchtime (default 1s)
set -euo pipefail

RUNS=${BENCH_RUNS:-40}
WARMUP=${BENCH_WARMUP:-5}
RSS_RUNS=${BENCH_RSS_RUNS:-5}
BENCHTIME=${BENCH_BENCHTIME:-1s}
MKCERT_VERSION=v1.4.4
NAMES=(localhost 127.0.0.1 ::1)

section() { printf '\n==== %s ====  [%ss]\n' "$*" "$SECONDS"; }
say() { printf '  %s\n' "$*"; }
die() { printf 'bench.sh: error: %s\n' "$*" >&2; exit 1; }

# median reads one number per line and prints their median.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

# verdict GOAL_TEXT OK(0|1): a PASS/MISS line.
verdict() {
	if [ "$2" = 1 ]; then printf '  PASS  %s\n' "$1"; else printf '  MISS  %s\n' "$1"; fi
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)
[ -f "$root/go.mod" ] && grep -q '^module github.com/vouchdev/vouch' "$root/go.mod" ||
	die "$root is not the vouch repository"

# ---------------------------------------------------------------------------
section "tools"

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -- "$@"
	else
		die "need root to run: $*"
	fi
}

# Another job may be installing packages in the background and logging to
# /tmp/apt-install.log, ending with a "done" line; wait for it rather than
# fight it for the dpkg lock.
wait_for_background_apt() {
	local log=/tmp/apt-install.log waited=0
	[ -f "$log" ] || return 0
	while ! grep -q '^done' "$log"; do
		if ! pgrep -x apt-get >/dev/null && ! pgrep -x dpkg >/dev/null && ! pgrep -x apt >/dev/null; then
			return 0 # a stale log, nothing is running
		fi
		if [ "$waited" = 0 ]; then say "waiting for the background apt-get ($log) to finish"; fi
		if [ "$waited" -ge 600 ]; then say "still running after ${waited}s; going ahead"; return 0; fi
		sleep 2
		waited=$((waited + 2))
	done
}

missing_pkgs() {
	local out=()
	command -v hyperfine >/dev/null || out+=(hyperfine)
	[ -x /usr/bin/time ] || out+=(time)
	command -v jq >/dev/null || out+=(jq)
	command -v openssl >/dev/null || out+=(openssl)
	# For the install benchmarks with browsers and Java (bench-browsers.sh).
	command -v certutil >/dev/null || out+=(libnss3-tools)
	command -v keytool >/dev/null || out+=(openjdk-17-jdk-headless)
	command -v strace >/dev/null || out+=(strace)
	echo "${out[@]:-}"
}

pkgs=$(missing_pkgs)
if [ -n "$pkgs" ]; then
	wait_for_background_apt
	pkgs=$(missing_pkgs)
fi
if [ -n "$pkgs" ]; then
	command -v apt-get >/dev/null || die "missing $pkgs, and no apt-get to install them with"
	say "installing: $pkgs"
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq install -y --no-install-recommends $pkgs >/dev/null
	pkgs=$(missing_pkgs)
	[ -z "$pkgs" ] || die "still missing after apt-get install: $pkgs"
fi
command -v go >/dev/null || die "go is not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vouch-bench.XXXXXX")
cleanup() {
	chmod -R u+w "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cache=${XDG_CACHE_HOME:-$HOME/.cache}/vouch-bench
mkcert=$cache/bin/mkcert
if ! [ -x "$mkcert" ] || [ "$("$mkcert" -version 2>/dev/null)" != "$MKCERT_VERSION" ]; then
	say "installing mkcert $MKCERT_VERSION into $cache/bin"
	mkdir -p "$cache/bin"
	(cd "$tmp" && GOBIN="$cache/bin" go install "filippo.io/mkcert@$MKCERT_VERSION")
fi

vouch=$tmp/vouch
# Built as releases are: static, no cgo (a faster start). So are the two
# floors (scripts/floor): an empty Go program, and the least a Go program
# must do to issue one leaf. They bound what any Go tool can reach here.
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$vouch" .)
floor_empty=$tmp/floor-empty
floor_issue=$tmp/floor-issue
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$floor_empty" ./scripts/floor/empty)
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$floor_issue" ./scripts/floor/issue)

say "go        $(go version | awk '{print $3, $4}')"
say "vouch     $("$vouch" version 2>&1 | head -n1) (built from $root)"
say "mkcert    $("$mkcert" -version)"
say "openssl   $(openssl version)"
say "hyperfine $(hyperfine --version | awk '{print $2}')"
say "cgo       $(go version -m "$vouch" | awk '$2 ~ /^CGO_ENABLED=/ { sub("CGO_ENABLED=", "", $2); print $2 }') (CGO_ENABLED of the vouch build)"
say "cpu       $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)"
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
say "load avg  $load"
if [ "$load" != unknown ] && [ "$(awk -v l="${load%% *}" -v n="$(nproc)" 'BEGIN { print (l > n) ? 1 : 0 }')" = 1 ]; then
	say "WARNING: the machine is busy (1-minute load above $(nproc) CPUs): wall times will be"
	say "inflated and noisy. Compare the min and CPU-time columns, or re-run when quiet."
fi

# ---------------------------------------------------------------------------
section "setup (CAs made once, outside the timing)"

home=$tmp/home
scratch=$tmp/scratch
vouch_ca=$tmp/ca-vouch
mkcert_ca=$tmp/ca-mkcert
mkdir -p "$home" "$scratch"
# The environment every benchmarked command runs in. JAVA_HOME and
# TRUST_STORES are cleared so mkcert's read-only "is the CA installed?"
# checks stay away from real stores too.
benv=(env -u JAVA_HOME -u TRUST_STORES -u CAROOT -u VOUCH_CAROOT
	HOME="$home" VOUCH_CAROOT="$vouch_ca" CAROOT="$mkcert_ca")

(cd "$scratch" && "${benv[@]}" "$vouch" "${NAMES[@]}" >/dev/null 2>"$tmp/vouch-first.log") ||
	{ cat "$tmp/vouch-first.log" >&2; die "vouch failed to make its CA"; }
(cd "$scratch" && "${benv[@]}" "$mkcert" "${NAMES[@]}" >/dev/null 2>"$tmp/mkcert-first.log") ||
	{ cat "$tmp/mkcert-first.log" >&2; die "mkcert failed to make its CA"; }
[ -f "$vouch_ca/rootCA.pem" ] || die "vouch made no rootCA.pem in $vouch_ca"
[ -f "$mkcert_ca/rootCA-key.pem" ] || die "mkcert made no rootCA-key.pem in $mkcert_ca"
say "vouch CA:  $vouch_ca ($(ls "$vouch_ca" | tr '\n' ' '))"
say "mkcert CA: $mkcert_ca"

# A second vouch run must reuse the CA, and its leaf must chain to it.
before=$(openssl x509 -in "$vouch_ca/rootCA.pem" -noout -fingerprint -sha256)
(cd "$scratch" && "${benv[@]}" "$vouch" "${NAMES[@]}" >/dev/null 2>&1)
after=$(openssl x509 -in "$vouch_ca/rootCA.pem" -noout -fingerprint -sha256)
[ "$before" = "$after" ] || die "vouch replaced its CA on the second run"
leaf=$scratch/localhost+2.pem
if openssl verify -CAfile "$vouch_ca/rootCA.pem" -untrusted "$leaf" "$leaf" >/dev/null 2>&1; then
	say "vouch leaf $leaf verifies against its root (chain file holds the intermediate)"
else
	say "WARNING: vouch's leaf does not verify against $vouch_ca/rootCA.pem:"
	openssl verify -CAfile "$vouch_ca/rootCA.pem" -untrusted "$leaf" "$leaf" 2>&1 | sed 's/^/    /' || true
fi

# ---------------------------------------------------------------------------
section "hyperfine: one leaf with an existing CA ($RUNS runs, $WARMUP warm-up, no shell)"

json=$tmp/hyperfine.json
openssl_cmd="openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout k.pem -out c.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1 -days 820"
# The benchmarked binaries are run by path: quote the paths for hyperfine's
# own word splitting (-N runs commands without a shell).
(cd "$scratch" && "${benv[@]}" hyperfine -N --style basic \
	--warmup "$WARMUP" --runs "$RUNS" --export-json "$json" \
	-n "vouch localhost 127.0.0.1 ::1" "'$vouch' localhost 127.0.0.1 ::1" \
	-n "mkcert localhost 127.0.0.1 ::1" "'$mkcert' localhost 127.0.0.1 ::1" \
	-n "mkcert -ecdsa localhost 127.0.0.1 ::1" "'$mkcert' -ecdsa localhost 127.0.0.1 ::1" \
	-n "openssl req -x509 (self-signed P-256)" "$openssl_cmd" \
	-n "vouch version" "'$vouch' version" \
	-n "floor: minimal Go issuer" "'$floor_issue' localhost 127.0.0.1 ::1" \
	-n "floor: empty Go program" "'$floor_empty'")

# Results come back in the order given above.
med() { jq -r ".results[$1].median" "$json"; }
t_vouch=$(med 0)
t_mkcert=$(med 1)
t_mkcert_ec=$(med 2)
t_openssl=$(med 3)
t_version=$(med 4)
t_floor_issue=$(med 5)
t_floor_empty=$(med 6)

section "medians"
jq -r '.results[] | [.command, (.median * 1000), (.mean * 1000), (.stddev * 1000), (.min * 1000), (.max * 1000), ((.user + .system) * 1000)] | @tsv' "$json" |
	awk -F'\t' 'BEGIN { printf "  %-40s %9s %9s %9s %9s %9s %9s\n", "command", "median", "mean", "stddev", "min", "max", "cpu" }
		{ printf "  %-40s %7.2fms %7.2fms %7.2fms %7.2fms %7.2fms %7.2fms\n", $1, $2, $3, $4, $5, $6, $7 }'
say "(cpu: mean user+system time, which other load on the machine disturbs less than wall time)"

section "ratios (of medians)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# col FILE NAME: the second column of FILE's row named NAME (tab-separated).
col() { awk -F'\t' -v c="$2" '$1 == c { print $2 }' "$1"; }
r_mkcert=$(ratio "$t_mkcert" "$t_vouch")
r_mkcert_ec=$(ratio "$t_mkcert_ec" "$t_vouch")
r_version=$(ratio "$t_vouch" "$t_version")
r_openssl=$(ratio "$t_openssl" "$t_vouch")
say "mkcert / vouch          ${r_mkcert}x"
say "mkcert -ecdsa / vouch   ${r_mkcert_ec}x   (same key type as vouch; informational)"
say "vouch cert / version    ${r_version}x"
say "openssl / vouch         ${r_openssl}x"
# The same ratios from the fastest run and from CPU time, steadier than the
# median when the machine is busy.
alt() { jq -r --argjson i "$1" --argjson j "$2" '.results as $r |
	"\($r[$i].min / $r[$j].min) \(($r[$i].user + $r[$i].system) / ($r[$j].user + $r[$j].system))"' "$json" |
	awk '{ printf "%.2fx by min, %.2fx by cpu", $1, $2 }'; }
say "  (by min / by CPU time: mkcert/vouch $(alt 1 0); vouch cert/version $(alt 0 4))"
echo
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? 1 : 0 }'; }
verdict "mkcert / vouch >= 10x (got ${r_mkcert}x)" "$(ge "$r_mkcert" 10)"
verdict "vouch cert / vouch version <= 2x (got ${r_version}x)" "$(ge 2 "$r_version")"
# What the 10x goal asks of this machine: the floors are Go programs that do
# less than vouch must (scripts/floor), so mkcert / floor is the most any Go
# tool can reach here.
echo
say "floors (the most any Go program can reach against mkcert on this machine):"
say "mkcert / minimal Go issuer   $(ratio "$t_mkcert" "$t_floor_issue")x   (reads the CA, signs, writes; no checks, no fsync)"
say "mkcert / empty Go program    $(ratio "$t_mkcert" "$t_floor_empty")x"
# ms SECONDS [DIVISOR]: milliseconds, two decimals.
ms() { awk -v s="$1" -v d="${2:-1}" 'BEGIN { printf "%.2f", s * 1000 / d }'; }
say "10x asks for vouch cert <= $(ms "$t_mkcert" 10) ms; the minimal issuer takes $(ms "$t_floor_issue") ms, an empty Go program $(ms "$t_floor_empty") ms"

# ---------------------------------------------------------------------------
section "peak RSS (/usr/bin/time -v, median of $RSS_RUNS runs)"

# rss_mb CMD...: median peak RSS of CMD in MB, run in the scratch dir.
rss_mb() {
	local i out=$tmp/time.out
	for ((i = 0; i < RSS_RUNS; i++)); do
		(cd "$scratch" && "${benv[@]}" /usr/bin/time -v -o "$out" "$@" >/dev/null 2>&1) ||
			{ cat "$out" >&2; die "failed: $*"; }
		awk -F': ' '/Maximum resident set size/ { print $2 }' "$out"
	done | median | awk '{ printf "%.1f", $1 / 1024 }'
}
rss_vouch=$(rss_mb "$vouch" "${NAMES[@]}")
rss_mkcert=$(rss_mb "$mkcert" "${NAMES[@]}")
rss_version=$(rss_mb "$vouch" version)
say "vouch localhost 127.0.0.1 ::1    ${rss_vouch} MB"
say "mkcert localhost 127.0.0.1 ::1   ${rss_mkcert} MB"
say "vouch version                    ${rss_version} MB"
echo
verdict "vouch cert peak RSS < 20 MB (got ${rss_vouch} MB)" "$(lt "$rss_vouch" 20)"

# ---------------------------------------------------------------------------
section "where vouch's time goes (informational)"

fstype() { df --output=fstype "$1" | tail -n 1; }
say "scratch dir $scratch is on $(fstype "$scratch")"
# The cert command writes two files, each to a temp file that is fsynced
# and renamed, then fsyncs the folder: compare a disk cwd with a tmpfs one,
# where fsync is free.
mem_dir=""
if [ -d /dev/shm ] && [ "$(fstype /dev/shm)" = tmpfs ] && [ "$(fstype "$scratch")" != tmpfs ]; then
	mem_dir=$(mktemp -d /dev/shm/vouch-bench.XXXXXX)
	trap 'rm -rf "$mem_dir"; cleanup' EXIT
	json2=$tmp/hyperfine-fs.json
	# env -C sets each command's cwd without a shell.
	"${benv[@]}" hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$json2" \
		-n "vouch cert, cwd on $(fstype "$scratch")" "env -C '$scratch' '$vouch' localhost 127.0.0.1 ::1" \
		-n "vouch cert, cwd on tmpfs" "env -C '$mem_dir' '$vouch' localhost 127.0.0.1 ::1" \
		-n "vouch version" "env -C '$mem_dir' '$vouch' version" >"$tmp/hyperfine-fs.log" 2>&1 ||
		{ cat "$tmp/hyperfine-fs.log" >&2; die "hyperfine failed"; }
	jq -r '.results[] | [.command, (.median * 1000), (.min * 1000), ((.user + .system) * 1000)] | @tsv' "$json2" |
		awk -F'\t' '{ printf "  %-28s median %7.2fms  min %7.2fms  cpu %7.2fms\n", $1, $2, $3, $4 }'
else
	say "no tmpfs to compare with (or the scratch dir is already tmpfs); skipped"
fi
if command -v strace >/dev/null; then
	say "syscalls of one vouch cert run on $(fstype "$scratch") (strace -f -c -w: wall time inside each call;"
	say "futex/nanosleep/epoll waits of the Go runtime's idle threads left out):"
	(cd "$scratch" && "${benv[@]}" strace -f -c -w -o "$tmp/strace.txt" "$vouch" "${NAMES[@]}" >/dev/null 2>&1) || true
	# Header, then the eight calls that took longest, then the total.
	{
		sed -n '1,2p' "$tmp/strace.txt"
		sed -n '3,$p' "$tmp/strace.txt" | grep -v -E -e '^-' -e 'total$' -e ' (futex|nanosleep|epoll_pwait|epoll_wait)$' |
			sort -k2 -g -r | head -n 8 || true
		tail -n 1 "$tmp/strace.txt"
	} | sed 's/^/    /'
else
	say "strace not installed; no syscall breakdown"
fi

# ---------------------------------------------------------------------------
section "install and status, in a throwaway mount namespace"

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v update-ca-certificates >/dev/null; then
	rows=$tmp/install.tsv
	"$root/scripts/bench-install.sh" "$vouch" "$mkcert" "$tmp" "$RUNS" "$floor_empty" >"$rows" 2>"$tmp/install.log" ||
		{ cat "$tmp/install.log" >&2; die "bench-install.sh failed"; }
	printf '  %-40s %10s %10s %10s\n' command median min cpu
	awk -F'\t' '{ printf "  %-40s %8.2fms %8.2fms %8.2fms\n", $1, $2 * 1000, $3 * 1000, $4 * 1000 }' "$rows"
	i_noop=$(col "$rows" "vouch install (already installed)")
	i_mk=$(col "$rows" "mkcert -install (already installed)")
	i_status=$(col "$rows" "vouch status")
	i_version=$(col "$rows" "vouch version")
	i_first=$(col "$rows" "vouch install --stores system (first)")
	i_hand=$(col "$rows" "cp + update-ca-certificates")
	i_empty=$(col "$rows" "floor: empty Go program")
	echo
	say "mkcert -install / vouch install (no-op)   $(ratio "$i_mk" "$i_noop")x"
	say "vouch install (no-op) / vouch version     $(ratio "$i_noop" "$i_version")x"
	say "vouch status / vouch version              $(ratio "$i_status" "$i_version")x"
	say "vouch install --stores system (first) / by hand  $(ratio "$i_first" "$i_hand")x"
	r_empty=$(ratio "$i_mk" "$i_empty")
	if [ "$(ge "$r_empty" 10)" = 1 ]; then reach="reachable here"; else reach="below 10x: out of reach here"; fi
	say "mkcert -install / an empty Go program     ${r_empty}x   (the most any Go program can reach; $reach)"
	verdict "no-op install >= 10x faster than mkcert -install re-run" "$(ge "$(ratio "$i_mk" "$i_noop")" 10)"
	verdict "no-op install within 2x of vouch version" "$(lt "$(ratio "$i_noop" "$i_version")" 2.0001)"
	verdict "status within 2x of vouch version" "$(lt "$(ratio "$i_status" "$i_version")" 2.0001)"
	verdict "first install within 1.2x of update-ca-certificates by hand" "$(lt "$(ratio "$i_first" "$i_hand")" 1.2001)"
else
	say "needs root, unshare and update-ca-certificates; skipped"
fi

# ---------------------------------------------------------------------------
section "install and status with browsers' NSS databases and Java, in a throwaway mount namespace"

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v update-ca-certificates >/dev/null &&
	command -v certutil >/dev/null && command -v java >/dev/null && command -v strace >/dev/null; then
	rows=$tmp/browsers.tsv
	"$root/scripts/bench-browsers.sh" "$vouch" "$mkcert" "$tmp" "$RUNS" >"$rows" 2>"$tmp/browsers.log" ||
		{ cat "$tmp/browsers.log" >&2; die "bench-browsers.sh failed"; }
	sed 's/^/  /' "$tmp/browsers-setup.txt"
	echo
	printf '  %-40s %10s %10s %10s\n' command median min cpu
	awk -F'\t' '{ printf "  %-40s %8.2fms %8.2fms %8.2fms\n", $1, $2 * 1000, $3 * 1000, $4 * 1000 }' "$rows"
	echo
	say "programs each run executed besides itself (strace -f -e trace=execve, once each):"
	awk -F'\t' '{ printf "    %-40s %d  (%s)\n", $1, $2, $3 }' "$tmp/browsers-exec.tsv"
	b_noop=$(col "$rows" "vouch install (already installed)")
	b_status=$(col "$rows" "vouch status")
	b_version=$(col "$rows" "vouch version")
	b_mk=$(col "$rows" "mkcert -install (JAVA_HOME set)")
	echo
	say "mkcert -install (JAVA_HOME) / vouch install (no-op)   $(ratio "$b_mk" "$b_noop")x"
	say "mkcert -install (JAVA_HOME) / vouch status            $(ratio "$b_mk" "$b_status")x"
	say "vouch install (no-op) / vouch version                 $(ratio "$b_noop" "$b_version")x"
	say "vouch status / vouch version                          $(ratio "$b_status" "$b_version")x"
	verdict "no-op install with NSS and Java >= 10x faster than mkcert -install with JAVA_HOME" "$(ge "$(ratio "$b_mk" "$b_noop")" 10)"
	verdict "status with NSS and Java >= 10x faster than mkcert -install with JAVA_HOME" "$(ge "$(ratio "$b_mk" "$b_status")" 10)"
	verdict "no-op install executes no program (no JVM, no certutil)" "$([ "$(col "$tmp/browsers-exec.tsv" "vouch install (already installed)")" = 0 ] && echo 1 || echo 0)"
	verdict "status executes no program (no JVM, no certutil)" "$([ "$(col "$tmp/browsers-exec.tsv" "vouch status")" = 0 ] && echo 1 || echo 0)"
	# Issue 3's cert ratio again, on this developer's machine: the state a
	# user of both tools is in (the bare-HOME figure above is mkcert's best
	# case, with no browser or Java to check).
	b_cert=$(col "$rows" "vouch localhost 127.0.0.1 ::1")
	b_mkcert=$(col "$rows" "mkcert localhost 127.0.0.1 ::1 (JAVA_HOME set)")
	echo
	say "on this machine with browsers and Java, issuing one leaf:"
	say "mkcert localhost (JAVA_HOME) / vouch localhost         $(ratio "$b_mkcert" "$b_cert")x"
	verdict "vouch cert >= 10x faster than mkcert, with browsers and Java present (informational)" "$(ge "$(ratio "$b_mkcert" "$b_cert")" 10)"
else
	say "needs root, unshare, update-ca-certificates, certutil, java and strace; skipped"
fi

# ---------------------------------------------------------------------------
section "go test -bench ./certs (-cpu 1, -count 5, -benchtime $BENCHTIME)"

if compgen -G "$root/certs/*_test.go" >/dev/null && grep -q 'func Benchmark' "$root"/certs/*_test.go; then
	out=$tmp/gobench.txt
	# go test -run '^$' -bench . -benchmem -count 5 -cpu 1 ./certs, with the
	# test binary built first so that /usr/bin/time sees only the benchmarks
	# and can tell how much of a core they got.
	(cd "$root" && go test -c -o "$tmp/certs.test" ./certs) || die "go test -c ./certs failed"
	(cd "$root/certs" && /usr/bin/time -f '%e %U %S' -o "$tmp/gobench.time" \
		"$tmp/certs.test" -test.run '^$' -test.bench . -test.benchmem -test.benchtime "$BENCHTIME" \
		-test.count 5 -test.cpu 1) >"$out" 2>&1 ||
		{ cat "$out" >&2; die "go test -bench failed"; }
	share=$(awk '{ printf "%.2f", ($2 + $3) / $1 }' "$tmp/gobench.time")
	grep -E '^(goos|goarch|cpu):' "$out" | sed 's/^/  /' || true
	# One line per run: name, ns/op, allocs/op, B/op.
	awk '/^Benchmark/ {
		ns = al = b = "nan"
		for (i = 2; i <= NF; i++) {
			if ($i == "ns/op") ns = $(i - 1)
			if ($i == "allocs/op") al = $(i - 1)
			if ($i == "B/op") b = $(i - 1)
		}
		print $1, ns, al, b
	}' "$out" >"$tmp/gobench.rows"
	printf '  %-44s %14s %10s %12s %12s\n' benchmark "median ns/op" allocs/op B/op ops/s
	issuing=0
	goals=()
	for name in $(awk '{ print $1 }' "$tmp/gobench.rows" | awk '!seen[$0]++'); do
		ns=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/gobench.rows" | median)
		al=$(awk -v n="$name" '$1 == n { print $3 }' "$tmp/gobench.rows" | median)
		b=$(awk -v n="$name" '$1 == n { print $4 }' "$tmp/gobench.rows" | median)
		ops=$(awk -v ns="$ns" 'BEGIN { printf "%.0f", 1e9 / ns }')
		printf '  %-44s %14.0f %10.0f %12.0f %12s\n' "$name" "$ns" "$al" "$b" "$ops"
		# The issuing benchmark(s): the ones that sign a leaf, not RSA ones
		# (the goal is for the default key type).
		lname=$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')
		if [[ $lname == *issue* || $lname == *leaf* ]] && [[ $lname != *rsa* ]]; then
			issuing=1
			goals+=("$name|$ops")
		fi
	done
	echo
	say "the benchmark process ran $(awk -v s="$share" 'BEGIN { printf "%.0f%%", s * 100 }') of the time it took (user+system / elapsed);"
	say "ns/op is wall time, so below ~100% other load inflated it by about 1/share."
	if [ "$issuing" = 1 ]; then
		for g in "${goals[@]}"; do
			verdict "${g%%|*}: >= 5,000 leaves/s on one core (got ${g##*|}/s)" "$(ge "${g##*|}" 5000)"
			say "      by CPU time (ops/s / $share share): $(awk -v o="${g##*|}" -v s="$share" 'BEGIN { printf "%.0f", o / (s > 1 ? 1 : s) }')/s"
		done
	else
		say "no issuing benchmark (a name with Issue or Leaf in it) found; leaves/s goal not checked"
	fi
else
	say "certs has no benchmarks (no func Benchmark in certs/*_test.go); skipped"
fi

section "done"
