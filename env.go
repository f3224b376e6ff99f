package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/record"
)

func envCommand() *command {
	return &command{
		name:    "env",
		usage:   "[--shell sh|fish|powershell]",
		summary: "print the exports for runtimes that ignore the system store",
		help: `Prints environment settings that make runtimes which don't read the system
store trust the CA, for eval "$(vouch env)":

  NODE_EXTRA_CA_CERTS   the root alone: Node adds it to its own bundle.
  SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE
                        these REPLACE a program's trust, so they point at the
                        system bundle that already holds the root (after
                        "vouch install"), never at a file with only the root,
                        which would break every public site.
  DENO_TLS_CA_STORE     mozilla,system: Deno adds the system store.

The exports follow the trust: until "vouch install" has put the root in the
system store (and after "vouch uninstall") nothing is printed but a warning,
so eval "$(vouch env)" never trusts a root the machine does not.`,
		flags: func(fs *pflag.FlagSet) runner {
			caroot := fs.String("caroot", "", "the CA folder")
			shell := fs.String("shell", "sh", "the `SHELL` syntax: sh, fish or powershell")
			return func(a *app, args []string) int {
				if len(args) > 0 {
					return a.usageError("env", "unexpected argument %q", args[0])
				}
				return a.cmdEnv(*caroot, *shell)
			}
		},
	}
}

func (a *app) cmdEnv(caroot, shell string) int {
	var line func(k, v string) string
	switch shell {
	case "sh", "bash", "zsh":
		line = func(k, v string) string { return "export " + k + "=" + shQuote(v) }
	case "fish":
		line = func(k, v string) string { return "set -gx " + k + " " + shQuote(v) + ";" }
	case "powershell", "pwsh":
		line = func(k, v string) string { return "$env:" + k + " = '" + strings.ReplaceAll(v, "'", "''") + "'" }
	default:
		return a.usageError("env", "unknown shell %q (want sh, fish or powershell)", shell)
	}
	a.warnSudo(caroot)
	_, ca, err := a.loadCA(caroot)
	if err != nil {
		a.errorf("%v", err)
		if !errors.Is(err, certs.ErrNoCA) {
			return exitFail // a broken CA install can't mend
		}
		// Someone who only trusted friends' roots: install would make
		// them a CA of their own, which is not what they need.
		if book, berr := record.Load(a.stateDir()); berr == nil && len(book.Roots) > 0 {
			var files []string
			for _, r := range book.Roots {
				files = append(files, book.RootFile(r.Fingerprint))
			}
			a.infof("vouch env exports your own CA's root, and you have none; the roots you trusted for others (%d) are where vouch trust put them (vouch status shows which stores)", len(files))
			a.hintf("for Node, which reads neither store, one of them: %s", line("NODE_EXTRA_CA_CERTS", files[0]))
			return exitFail
		}
		a.hintf("%s", a.vouchCmd("install"))
		return exitFail
	}
	bundle, ok := a.trustedBundle(ca)
	if !ok {
		a.warnf("the root is not in the system store, so there is nothing to export")
		// In the shell's own words for "set what vouch env prints".
		switch shell {
		case "fish":
			a.hintf("%s; and %s | source", a.vouchCmd("install"), a.vouchCmd("env", "--shell", shell))
		case "powershell", "pwsh":
			a.hintf("%s; if ($?) { %s | Out-String | Invoke-Expression }", a.vouchCmd("install"), a.vouchCmd("env", "--shell", shell))
		default:
			a.hintf("%s && eval \"$(%s)\"", a.vouchCmd("install"), a.vouchCmd("env"))
		}
		return exitOK
	}
	vars := map[string]string{"NODE_EXTRA_CA_CERTS": filepath.Join(ca.Dir, certs.RootCertFile), "DENO_TLS_CA_STORE": "mozilla,system"}
	for _, k := range []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"} {
		vars[k] = bundle
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintln(a.stdout, line(k, vars[k]))
	}
	return exitOK
}

// trustedBundle is the system bundle file, when it holds the CA's root.
func (a *app) trustedBundle(ca *certs.CA) (string, bool) {
	sys, err := a.system()
	if err != nil {
		return "", false
	}
	st, err := sys.State(ca.Root)
	if err != nil || !st.InBundle {
		return "", false
	}
	bundle, err := platform.BundleFile(sys)
	if err != nil {
		return "", false
	}
	return filepath.Join(a.fsRoot(), bundle), true
}

func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
