#!/usr/bin/env bash
# Benchmarks of the no-op install and status on a machine with browsers'
# NSS databases and Java, against mkcert -install re-run with JAVA_HOME set,
# and of issuing a leaf there against mkcert doing the same,
# run by scripts/bench.sh inside a throwaway mount namespace (never on the
# real stores): bench-browsers.sh VOUCH MKCERT WORKDIR RUNS.
#
# stdout: one row per timed command: name, median, min, cpu (seconds, TSV).
# WORKDIR/browsers-exec.tsv: per no-op run traced with strace, the command,
# how many programs it executed besides itself, and which.
# WORKDIR/browsers-setup.txt: what the stores held, in lines to print.
set -euo pipefail
vouch=$1 mkcert=$2 work=$3 runs=$4

die() { printf 'bench-browsers.sh: error: %s\n' "$*" >&2; exit 1; }

# Refuse to touch anything unless this is a new namespace.
. "$(dirname "$0")/private-ns.sh"
enter_private_ns "$@"

shadowed=()
# shadow DIR: DIR becomes a tmpfs holding a copy of what it held.
shadow() {
	local copy
	copy=$(mktemp -d "$work/copy.XXXXXX")
	cp -a "$1/." "$copy/"
	mount -t tmpfs tmpfs "$1"
	cp -a "$copy/." "$1/"
	shadowed+=("$1")
}
for d in /etc/ssl /usr/local/share/ca-certificates /usr/share/ca-certificates /etc/pki; do
	[ -d "$d" ] || continue
	shadow "$d"
done
# Every JDK's cacerts must lie in a copy. Debian's are links to
# /etc/ssl/certs/java/cacerts; a JDK with a file of its own gets its
# lib/security folder copied too.
for f in /usr/lib/jvm/*/lib/security/cacerts; do
	[ -e "$f" ] || continue
	real=$(readlink -f "$f")
	inside=0
	for d in "${shadowed[@]}"; do
		case $real in "$d"/*) inside=1 ;; esac
	done
	[ "$inside" = 1 ] || shadow "$(dirname "$real")"
done
# The ca-certificates hooks folder is emptied, as bench-install.sh does.
# Debian's jks-keystore hook queues a dpkg trigger and runs
# `dpkg --triggers-only --pending`, which writes dpkg's real database
# (/var/lib/dpkg is not copied here) and starts a JVM. Without it, vouch's
# java store imports the root with keytool itself on the first install, as
# on a system with no such hook, and mkcert's -install does the same.
[ -d /etc/ca-certificates/update.d ] && mount -t tmpfs tmpfs /etc/ca-certificates/update.d

java=$(command -v java) || die "no java on PATH"
java_home=$(dirname "$(dirname "$(readlink -f "$java")")")
[ -x "$java_home/bin/keytool" ] || die "no keytool in $java_home/bin"

home=$work/home-browsers
mkdir -p "$home"
# Every XDG folder is dropped so that vouch and mkcert look for browser
# databases, and keep state, under this HOME only. vouch runs with no
# JAVA_HOME (it finds Java from PATH); mkcert needs JAVA_HOME to see Java.
env=(env -u JAVA_HOME -u JRE_HOME -u JDK_HOME -u TRUST_STORES -u CAROOT -u VOUCH_CAROOT
	-u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_STATE_HOME -u XDG_CACHE_HOME
	HOME="$home" VOUCH_CAROOT="$work/ca-browsers" CAROOT="$work/ca-mkcert-browsers")
mkenv=("${env[@]}" JAVA_HOME="$java_home")

# Empty NSS databases where the browsers keep them: Chromium's shared one,
# and a Firefox profile (with its profiles.ini) for the deb/tarball, the
# snap and the Flatpak package.
mkdir -p "$home/.pki/nssdb"
certutil -N --empty-password -d "sql:$home/.pki/nssdb"
for ff in "$home/.mozilla/firefox" "$home/snap/firefox/common/.mozilla/firefox" \
	"$home/.var/app/org.mozilla.firefox/.mozilla/firefox"; do
	mkdir -p "$ff/b3nch000.default-release"
	printf '[Profile0]\nName=default-release\nIsRelative=1\nPath=b3nch000.default-release\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n' >"$ff/profiles.ini"
	certutil -N --empty-password -d "sql:$ff/b3nch000.default-release"
done
dbs=("$home"/.pki/nssdb/cert9.db "$home"/.mozilla/firefox/*/cert9.db
	"$home"/snap/firefox/common/.mozilla/firefox/*/cert9.db
	"$home"/.var/app/org.mozilla.firefox/.mozilla/firefox/*/cert9.db)

"${env[@]}" "$vouch" install </dev/null >"$work/browsers-install.log" 2>&1 ||
	{ cat "$work/browsers-install.log" >&2; die "vouch install failed"; }
"${mkenv[@]}" "$mkcert" -install </dev/null >"$work/browsers-mkcert.log" 2>&1 ||
	{ cat "$work/browsers-mkcert.log" >&2; die "mkcert -install failed"; }
# mkcert's certutil -A changed every database it found, so this status
# lists them with certutil again and remembers the listings in
# <state>/nss-listings.json, keyed by each cert9.db's hash. A user's second
# run finds them there; only the first run after a database changes (a
# browser's write, or certutil's) starts certutil.
"${env[@]}" "$vouch" status --json </dev/null >"$work/browsers-status.json" 2>/dev/null ||
	{ "${env[@]}" "$vouch" status >&2 || true; die "vouch status after install: not trusted everywhere"; }
cache=$home/.local/state/vouch/nss-listings.json
[ -s "$cache" ] || die "no NSS listing cache at $cache after status"

{
	# Each checked entry, less its verdict: the database or keystore, and who uses it.
	jq -r '.stores[] | select(.store == "nss" or .store == "java") |
		"\(.store): \(.checked | length) checked: \(.checked | map(sub(": (not )?trusted.*$"; "")) | join("; "))"' \
		"$work/browsers-status.json"
	echo "vouch runs without JAVA_HOME; mkcert with JAVA_HOME=$java_home"
	echo "NSS listing cache warm: $(jq length "$cache") databases in ~/.local/state/vouch/nss-listings.json"
} | sed "s|$home|~|g" >"$work/browsers-setup.txt"

# Proof that the no-op runs exec nothing: every execve strace sees, less
# the traced command's own. mkcert's are listed for comparison.
# execs NAME ENV CMD...: one row of browsers-exec.tsv, for CMD run under
# strace with the environment in the array named ENV.
execs() {
	local name=$1 trace=$work/exec.trace
	local -n e=$2
	shift 2
	"${e[@]}" strace -f -qq -e trace=execve -o "$trace" "$@" </dev/null >/dev/null 2>"$trace.err" ||
		{ cat "$trace.err" >&2; die "strace $*: failed"; }
	grep -o 'execve("[^"]*"' "$trace" | sed '1d; s|.*/||; s|"$||' | sort | uniq -c |
		awk -v n="$name" '{ t += $1; l = l (l ? ", " : "") $2 " x" $1 }
			END { printf "%s\t%d\t%s\n", n, t, (t ? l : "none") }'
}
json=$work/browsers.json
json2=$work/browsers-mkcert.json
sum_before=$(sha256sum "${dbs[@]}" "$cache")
execs "vouch install (already installed)" env "$vouch" install >"$work/browsers-exec.tsv"
sed 's/^/no-op install: /' "$work/exec.trace.err" >>"$work/browsers-setup.txt"
execs "vouch status" env "$vouch" status >>"$work/browsers-exec.tsv"
"${env[@]}" hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$json" \
	-n "vouch install (already installed)" "'$vouch' install" \
	-n "vouch status" "'$vouch' status" \
	-n "vouch version" "'$vouch' version" >/dev/null
# The timed vouch runs must have found what the traced ones did.
[ "$(sha256sum "${dbs[@]}" "$cache")" = "$sum_before" ] ||
	echo "WARNING: a database or the listing cache changed during vouch's runs; their times may include certutil" >>"$work/browsers-setup.txt"

execs "mkcert -install (JAVA_HOME set)" mkenv "$mkcert" -install >>"$work/browsers-exec.tsv"
# mkcert starts a JVM each run: half the runs (at least 10) keep this short.
mk_runs=$((runs / 2 > 10 ? runs / 2 : 10))
"${mkenv[@]}" hyperfine -N --style none --warmup 2 --runs "$mk_runs" --export-json "$json2" \
	-n "mkcert -install (JAVA_HOME set)" "'$mkcert' -install" >/dev/null

# Issuing a leaf on this machine, where both CAs are installed: mkcert
# checks every store before each certificate it makes (the system pool,
# certutil -V of each NSS database, keytool -list with JAVA_HOME set);
# vouch's cert command reads no store. Each writes into its own folder.
json3=$work/browsers-cert.json
mkdir -p "$work/cert-vouch" "$work/cert-mkcert"
(cd "$work/cert-vouch" && execs "vouch localhost 127.0.0.1 ::1" env "$vouch" localhost 127.0.0.1 ::1) >>"$work/browsers-exec.tsv"
(cd "$work/cert-mkcert" && execs "mkcert localhost 127.0.0.1 ::1 (JAVA_HOME set)" mkenv "$mkcert" localhost 127.0.0.1 ::1) >>"$work/browsers-exec.tsv"
(cd "$work/cert-vouch" && "${env[@]}" hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$json3.v" \
	-n "vouch localhost 127.0.0.1 ::1" "'$vouch' localhost 127.0.0.1 ::1" >/dev/null)
(cd "$work/cert-mkcert" && "${mkenv[@]}" hyperfine -N --style none --warmup 2 --runs "$mk_runs" --export-json "$json3.m" \
	-n "mkcert localhost 127.0.0.1 ::1 (JAVA_HOME set)" "'$mkcert' localhost 127.0.0.1 ::1" >/dev/null)
jq -r '.results[] | [.command, .median, .min, (.user + .system)] | @tsv' "$json" "$json2" "$json3.v" "$json3.m"
