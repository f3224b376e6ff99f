# private-ns.sh, sourced by the bench scripts that change trust folders:
# enter_private_ns "$@" re-runs the calling script in a new private mount
# namespace, always (a script started in the machine's namespace by a
# parent in another one would otherwise pass the check below unmoved),
# and, once there, returns only if its namespace differs from its
# parent's (the caller's). Nothing is taken from the environment, where a
# stale or made-up value would pass: the variable only stops a second
# unshare, and is not handed on.
enter_private_ns() {
	local ns parent
	ns=$(readlink "/proc/self/ns/mnt" || true)
	parent=$(readlink "/proc/$PPID/ns/mnt" || true)
	if [ -z "${VOUCH_NS_TRIED:-}" ]; then
		# unshare execs the script in place: same pid, same parent. The
		# variable only stops a second try; it proves nothing.
		VOUCH_NS_TRIED=1 exec unshare --mount --propagation private -- "$0" "$@"
	fi
	unset VOUCH_NS_TRIED
	if [ -z "$ns" ] || [ -z "$parent" ] || [ "$ns" = "$parent" ]; then
		echo "$(basename "$0"): not in a new mount namespace (mine: '$ns', my parent's: '$parent')" >&2
		exit 1
	fi
	mount --make-rprivate /
}
