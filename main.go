// Command vouch makes a local, name-constrained certificate authority and
// issues development certificates signed by it.
package main

import (
	"fmt"
	"io"
	"os"
	"os/user"
	"runtime"
	"strings"
	"time"

	"github.com/vouchdev/vouch/platform"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// app is everything a command reads from the outside world, so tests can
// hand in their own.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	home           string
	goos           string
	owner          string
	now            func() time.Time
	isRoot         bool
	// machine: --machine, Windows' LocalMachine\Root instead of the
	// user's Root store.
	machine bool
	// argv is the command line as given, for hints that repeat it.
	argv []string
	// carootFlag is --caroot as given, for hints (see vouchCmd).
	carootFlag string
	// interrupted reports a Ctrl-C (or hang-up, or SIGTERM) that came
	// while the stores were being changed, and stopGuard ends that watch
	// (see guard); both nil before the first change and after the watch.
	interrupted func() bool
	stopGuard   func()
	// lookupUID finds the user sudo was run by; nil means user.LookupId.
	lookupUID func(uid string) (*user.User, error)
	// installNext: mkcert's -install HOST, whose install runs right after
	// the certificate, so the certificate does not hint it.
	installNext bool
	// implicitCert: no command word was given, so the arguments are a
	// certificate's (mkcert's way), and a host name may be a mistyped
	// command; after "cert" it is a host name.
	implicitCert bool
	// rootOnStdin: vouch trust - reads the root from stdin, which is then
	// no terminal for sudo to ask on, though the user may be at one.
	rootOnStdin bool
}

func run(args []string, stdout, stderr io.Writer) int {
	home, _ := os.UserHomeDir()
	a := &app{
		stdout: stdout,
		stderr: stderr,
		getenv: os.Getenv,
		home:   home,
		goos:   runtime.GOOS,
		now:    time.Now,
		isRoot: os.Geteuid() == 0,
	}
	return a.run(args)
}

// who is "user@host" for certificate subjects, looked up only by commands
// that sign something.
func (a *app) who() string {
	if a.owner == "" {
		a.owner = owner()
	}
	return a.owner
}

func owner() string {
	name := "someone"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return name
	}
	return name + "@" + host
}

func (a *app) errorf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "vouch: error: "+format+"\n", args...)
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "vouch: warning: "+format+"\n", args...)
}

func (a *app) hintf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "vouch: hint: "+format+"\n", args...)
}

func (a *app) infof(format string, args ...any) {
	fmt.Fprintf(a.stderr, "vouch: "+format+"\n", args...)
}

// commandLine is the command the user ran, args after before, as a shell
// line to paste.
func (a *app) commandLine(before ...string) string {
	return platform.Cmd{Argv: append(before, a.argv...)}.String()
}

// vouchCmd is a vouch command line for a hint, with the CA folder the user
// named by --caroot: without it, the command would act on the CA in the
// default folder (uninstall it, rotate it, make one there).
func (a *app) vouchCmd(args ...string) string {
	argv := []string{"vouch"}
	if a.carootFlag != "" {
		argv = append(argv, "--caroot", a.carootFlag)
	}
	return platform.Cmd{Argv: append(argv, args...)}.String()
}

// exit codes
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func (a *app) run(args []string) int {
	if msg := mkcertConflict(args); msg != "" {
		a.argv = args
		return a.usageError("cert", "%s", msg)
	}
	if install, cert, ok := splitMkcertInstall(args); ok {
		// The certificate first: a mistake in its flags or names then
		// leaves the stores as they were, and --permit shapes the CA made.
		// The install comes next, so it is not hinted.
		a.installNext = true
		code := a.run(cert)
		a.installNext = false
		if code != exitOK {
			return code
		}
		return a.run(install)
	}
	a.argv = args
	args = translateMkcert(args)
	name, rest := splitCommand(args)
	a.implicitCert = false
	if name == "" {
		if len(rest) == 0 {
			fmt.Fprint(a.stderr, globalUsage)
			return exitUsage
		}
		for _, r := range rest {
			switch r {
			case "-h", "--help", "-help":
				fmt.Fprint(a.stdout, globalUsage)
				return exitOK
			case "--version", "-version":
				return a.cmdVersion(nil)
			}
		}
		name = "cert"
		// No command word: a host name may be a mistyped command.
		a.implicitCert = true
	}
	cmd := findCommand(name)
	defer a.keepStateTheirs()()
	return cmd.run(a, rest)
}

// translateMkcert rewrites mkcert's single-dash flags into vouch's, so
// `alias mkcert=vouch` keeps old scripts working.
func translateMkcert(args []string) []string {
	var cmd string
	out := make([]string, 0, len(args)+1)
	for i, arg := range args {
		if arg == "--" {
			out = append(out, args[i:]...)
			break
		}
		switch arg {
		case "-install", "--install":
			cmd = "install"
			continue
		case "-uninstall", "--uninstall":
			// mkcert -uninstall takes out what mkcert -install put in.
			cmd = "uninstall --mkcert"
			continue
		case "-CAROOT", "--CAROOT":
			cmd = "caroot"
			continue
		}
		if strings.HasPrefix(arg, "-") && !strings.HasPrefix(arg, "--") {
			if flag, _, _ := strings.Cut(arg[1:], "="); mkcertFlags[flag] {
				arg = "-" + arg
			}
		}
		out = append(out, arg)
	}
	switch cmd {
	case "caroot", "install", "uninstall --mkcert":
		// mkcert -CAROOT prints the folder whatever certificate it was
		// also given to make; -install with no host name (with one, see
		// splitMkcertInstall) ignores the certificate's flags, and
		// -uninstall ignores them and any host names: so does vouch.
		// Other flags are still checked.
		out = withoutCertArgs(out, cmd == "install")
	}
	if cmd != "" {
		// vouch cert -install is vouch -install: cert is no host name.
		if name, rest := splitCommand(out); name == "cert" {
			out = rest
		}
		out = append(strings.Fields(cmd), out...)
	}
	return out
}

// withoutCertArgs is args less the certificate's flags (with their
// values), and less its host names unless keepNames.
func withoutCertArgs(args []string, keepNames bool) []string {
	var keep []string
	for i := 0; i < len(args); i++ {
		name, _, inline := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		switch {
		case args[i] == "--":
			if keepNames {
				keep = append(keep, args[i:]...)
			}
			i = len(args)
		case !strings.HasPrefix(args[i], "-") || args[i] == "-":
			if keepNames {
				keep = append(keep, args[i])
			}
		case mkcertFlags[name] && name != "help" && name != "version":
			if valueFlags[name] && !inline {
				i++
			}
		default:
			keep = append(keep, args[i])
			if valueFlags[name] && !inline && i+1 < len(args) {
				keep = append(keep, args[i+1])
				i++
			}
		}
	}
	return keep
}

// mkcertConflict is mkcert's refusal of -install with -uninstall or
// -CAROOT, or "".
func mkcertConflict(args []string) string {
	has := map[string]bool{}
	for _, arg := range args {
		if arg == "--" {
			break
		}
		has[strings.TrimLeft(arg, "-")] = strings.HasPrefix(arg, "-") || has[strings.TrimLeft(arg, "-")]
	}
	switch {
	case has["install"] && has["uninstall"]:
		return "-install and -uninstall can't be given together"
	case (has["install"] || has["uninstall"]) && has["CAROOT"]:
		return "-install or -uninstall and -CAROOT can't be given together"
	}
	return ""
}

// splitMkcertInstall splits mkcert's -install given host names (or a
// -csr) too, which installs and issues: the rest as a cert command, then
// vouch install with the CA folder given.
func splitMkcertInstall(args []string) (install, cert []string, ok bool) {
	at := -1
	for i, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "-install" || arg == "--install" {
			at = i
			break
		}
	}
	if at < 0 {
		return nil, nil, false
	}
	// An explicit cert before -install (vouch cert -install HOST) is the
	// command word, not a host name.
	before := args[:at]
	if name, rest := splitCommand(before); name == "cert" {
		before = rest
	}
	cert = append(append([]string{"cert"}, before...), args[at+1:]...)
	rest := translateMkcert(cert[1:])
	issues := false
	install = []string{"install"}
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		flag, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch {
		case arg == "--":
			issues = issues || i+1 < len(rest)
			i = len(rest)
		case !strings.HasPrefix(arg, "-") || arg == "-":
			issues = true
		case valueFlags[flag] && !hasValue:
			if flag == "caroot" && i+1 < len(rest) {
				install = append(install, "--caroot", rest[i+1])
			}
			issues = issues || flag == "csr"
			i++
		case flag == "caroot":
			install = append(install, "--caroot", value)
		case flag == "csr":
			issues = true
		}
	}
	if !issues {
		return nil, nil, false
	}
	return install, cert, true
}

var mkcertFlags = map[string]bool{
	"cert-file": true, "key-file": true, "p12-file": true, "pkcs12": true,
	"client": true, "ecdsa": true, "csr": true, "help": true, "version": true,
}

// valueFlags take a value in the next argument when written without "=";
// splitCommand needs them to tell a flag's value from the command name.
var valueFlags = map[string]bool{
	"caroot": true, "cert-file": true, "key-file": true, "p12-file": true,
	"key-type": true, "days": true, "valid": true, "csr": true, "permit": true,
	"stores": true, "shell": true, "fingerprint": true,
	"out": true, "name": true, "url": true, "server": true, "timeout": true,
}

// splitCommand finds the command word: the first argument that is not a
// flag or a flag's value. When that word is not a command, the arguments
// are host names for the cert command and name is "".
func splitCommand(args []string) (name string, rest []string) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return "", args
		}
		if strings.HasPrefix(arg, "-") && len(arg) > 1 {
			if flag := strings.TrimLeft(arg, "-"); valueFlags[flag] && !strings.Contains(arg, "=") {
				i++
			}
			continue
		}
		if findCommand(arg) == nil {
			return "", args
		}
		rest = append(append([]string(nil), args[:i]...), args[i+1:]...)
		return arg, rest
	}
	return "", args
}
