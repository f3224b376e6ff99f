#!/usr/bin/env bash
# Benchmarks of install and status against the real system store, run by
# scripts/bench.sh inside a throwaway mount namespace (never on the real
# store): bench-install.sh VOUCH MKCERT WORKDIR RUNS FLOOR, where FLOOR is
# an empty Go program (scripts/floor/empty) timed beside them.
#
# Inside, the trust folders are tmpfs copies, and the ca-certificates hooks
# folder is an empty tmpfs, so Debian's Java hook (a JVM start, and a write
# to dpkg's database) stays out of every timing and off the real machine.
set -euo pipefail
vouch=$1 mkcert=$2 work=$3 runs=$4 floor=$5

# Refuse to touch anything unless this is a new namespace.
. "$(dirname "$0")/private-ns.sh"
enter_private_ns "$@"
for d in /etc/ssl /usr/local/share/ca-certificates /usr/share/ca-certificates; do
	[ -d "$d" ] || continue
	copy=$(mktemp -d "$work/copy.XXXXXX")
	cp -a "$d/." "$copy/"
	mount -t tmpfs tmpfs "$d"
	cp -a "$copy/." "$d/"
	[ "$(stat -f -c %T "$d")" = tmpfs ] || { echo "$d is not the tmpfs copy" >&2; exit 1; }
done
[ -d /etc/ca-certificates/update.d ] && mount -t tmpfs tmpfs /etc/ca-certificates/update.d

home=$work/home-install
mkdir -p "$home"
# The XDG folders are dropped so that no browser database outside this HOME
# can be found (they are not in the namespace's copies).
env=(env -u JAVA_HOME -u TRUST_STORES -u CAROOT -u VOUCH_CAROOT
	-u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_STATE_HOME -u XDG_CACHE_HOME HOME="$home"
	VOUCH_CAROOT="$work/ca-install" CAROOT="$work/ca-mkcert-install")
json=$work/install.json
json2=$work/first.json

"${env[@]}" "$vouch" install </dev/null >/dev/null 2>&1
"${env[@]}" "$mkcert" -install </dev/null >/dev/null 2>&1
# Both already installed: the no-op runs.
"${env[@]}" hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$json" \
	-n "vouch install (already installed)" "'$vouch' install" \
	-n "mkcert -install (already installed)" "'$mkcert' -install" \
	-n "vouch status" "'$vouch' status" \
	-n "vouch version" "'$vouch' version" \
	-n "floor: empty Go program" "'$floor'" >/dev/null

# A first install into the system store, each run after the previous one
# was taken out again, against doing by hand what it needs: copy the
# anchor, run the tool. The system store alone, as by hand: with the hooks
# folder empty here, a plain install would also add the root to Java's
# cacerts with keytool, a JVM start (~0.3 s) the by-hand side never runs.
anchor=/usr/local/share/ca-certificates/bench-by-hand.crt
"${env[@]}" hyperfine -N --style none --warmup 1 --runs "$((runs / 4 + 3))" --export-json "$json2" \
	--prepare "'$vouch' uninstall" \
	-n "vouch install --stores system (first)" "'$vouch' install --stores system" \
	--prepare "sh -c 'rm -f $anchor; update-ca-certificates --fresh'" \
	-n "cp + update-ca-certificates" "sh -c 'cp $work/ca-install/rootCA.pem $anchor && update-ca-certificates'" >/dev/null
jq -r '.results[] | [.command, .median, .min, (.user + .system)] | @tsv' "$json" "$json2"
