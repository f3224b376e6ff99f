#!/usr/bin/env bash
# in-step.sh CMD [ARGS...] runs CMD in a private mount namespace whose
# trust folders (and dpkg's state, which Debian's Java hook writes) are
# tmpfs copies of the machine's, with Debian's Java cacerts rebuilt from
# the system bundle first. The machine's own folders are never written.
#
# Why: the store tests compare every trust file before an install with
# the same file after the uninstall. On Debian, vouch's uninstall runs
# update-ca-certificates --fresh and the Java hook with --fresh, which
# rebuild cacerts from the bundle. A machine whose cacerts has fallen
# behind its bundle (a root added, or the ca-certificates package
# upgraded, while the Java hook could not run) gets those roots back in
# cacerts by that rebuild, and every such test then fails for a reason
# that is the machine's, not the change under test. On the copies, the
# rebuild happens once, here, before any test takes its "before".
set -euo pipefail
source "$(dirname "$0")/private-ns.sh"
enter_private_ns "$@"

# Scratch space on its own tmpfs: the copied files bound below must
# outlive this script's cleanup, and nothing is left in the machine's /tmp
# but the empty folder, taken out at the end.
work=$(mktemp -d)
# (Each umount on its own, and none may fail the script: a file that was
# not there was never bound.)
trap 'for m in /etc/ca-certificates.conf /var/log/dpkg.log "$work"; do umount "$m" 2>/dev/null || true; done; rmdir "$work" 2>/dev/null || true' EXIT
mount -t tmpfs tmpfs "$work"
for d in /etc/ssl /etc/ca-certificates /usr/local/share/ca-certificates \
	/usr/share/ca-certificates /var/lib/ca-certificates-java /var/lib/dpkg; do
	[ -d "$d" ] || continue
	copy=$(mktemp -d "$work/copy.XXXXXX")
	cp -a "$d/." "$copy/"
	mount -t tmpfs tmpfs "$d"
	cp -a "$copy/." "$d/"
	rm -rf "$copy"
	[ "$(stat -f -c %T "$d")" = tmpfs ] || { echo "in-step.sh: $d is not the tmpfs copy" >&2; exit 1; }
done
for f in /etc/ca-certificates.conf /var/log/dpkg.log; do
	[ -f "$f" ] || continue
	copy=$(mktemp "$work/file.XXXXXX")
	cp -a "$f" "$copy"
	mount --bind "$copy" "$f"
done

cacerts=/etc/ssl/certs/java/cacerts
entries() {
	keytool -list -keystore "$cacerts" -storepass changeit 2>/dev/null | grep -ci 'fingerprint' || true
}
if [ -x /etc/ca-certificates/update.d/jks-keystore ] && [ -f "$cacerts" ] && command -v update-ca-certificates >/dev/null; then
	was=$(entries)
	rm -f "$cacerts"
	# Java's hook alone: another hook (Mono's, say) would write outside
	# the copies.
	mkdir "$work/hooks"
	ln -s /etc/ca-certificates/update.d/jks-keystore "$work/hooks/jks-keystore"
	if ! update-ca-certificates --fresh --hooksdir "$work/hooks" >"$work/refresh.log" 2>&1 || [ ! -s "$cacerts" ]; then
		echo "in-step.sh: update-ca-certificates --fresh did not rebuild $cacerts on the copies:" >&2
		cat "$work/refresh.log" >&2
		exit 1
	fi
	now=$(entries)
	echo "in-step.sh: $cacerts on the copies rebuilt from the system bundle: $was entries before, $now now"
fi
"$@"
