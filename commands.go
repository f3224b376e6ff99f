package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/platform"
)

// Set at release time with -ldflags "-X main.version=…".
var (
	version = ""
	commit  = ""
	date    = ""
)

// runner is what a command does once its flags are parsed.
type runner func(a *app, args []string) int

type command struct {
	name    string
	usage   string // the arguments, after "vouch NAME"
	summary string
	help    string
	// flags registers the command's flags and returns what to run.
	flags func(fs *pflag.FlagSet) runner
}

func commands() []*command {
	return []*command{
		certCommand(),
		{
			name:    "caroot",
			usage:   "[--caroot DIR]",
			summary: "print the CA folder",
			help: `Prints the folder that holds (or will hold) the CA: --caroot, else
$VOUCH_CAROOT, else $CAROOT (mkcert's), else the per-user data folder.`,
			flags: func(fs *pflag.FlagSet) runner {
				caroot := fs.String("caroot", "", "the CA folder")
				return func(a *app, args []string) int {
					if len(args) > 0 {
						return a.usageError("caroot", "unexpected argument %q", args[0])
					}
					a.warnSudo(*caroot)
					dir, _, err := a.caroot(*caroot)
					if err != nil {
						a.errorf("%v", err)
						return exitFail
					}
					fmt.Fprintln(a.stdout, dir)
					return exitOK
				}
			},
		},
		installCommand(),
		uninstallCommand(),
		statusCommand(),
		trustCommand(),
		untrustCommand(),
		envCommand(),
		exportCommand(),
		checkCommand(),
		rotateCommand(),
		completionCommand(),
		{
			name:    "version",
			summary: "print vouch's version",
			flags: func(fs *pflag.FlagSet) runner {
				return func(a *app, args []string) int { return a.cmdVersion(args) }
			},
		},
		{
			name:    "help",
			usage:   "[COMMAND]",
			summary: "show help for vouch or one command",
			flags: func(fs *pflag.FlagSet) runner {
				return func(a *app, args []string) int {
					if len(args) == 0 {
						fmt.Fprint(a.stdout, globalUsage)
						return exitOK
					}
					c := findCommand(args[0])
					if c == nil {
						return a.usageError("help", "unknown command %q", args[0])
					}
					if len(args) > 1 {
						return a.usageError("help", "unexpected argument %q: help shows one command", args[1])
					}
					fmt.Fprint(a.stdout, c.longHelp())
					return exitOK
				}
			},
		},
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	return fs
}

func (c *command) run(a *app, args []string) int {
	fs := newFlagSet(c.name)
	r := c.flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(a.stdout, c.longHelp())
			return exitOK
		}
		if code, ok := a.singleDash(c.name, fs, err); ok {
			return code
		}
		return a.usageError(c.name, "%v", err)
	}
	a.carootFlag = ""
	if f := fs.Lookup("caroot"); f != nil && f.Changed {
		a.carootFlag = f.Value.String()
	}
	return r(a, fs.Args())
}

// singleDash explains pflag's refusal of one of the command's own long
// flags written with one dash (-days, -json), as mkcert's users type them:
// pflag reads it as short flags (-d -a -y -s) and names a letter. It is
// the usage error, with the command line written with two dashes as the
// hint; ok is false for any other error.
func (a *app) singleDash(cmd string, fs *pflag.FlagSet, err error) (code int, ok bool) {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) || ne.GetSpecifiedShortnames() == "" {
		return 0, false
	}
	arg := "-" + ne.GetSpecifiedShortnames()
	name, _, _ := strings.Cut(arg[1:], "=")
	if fs.Lookup(name) == nil {
		return 0, false
	}
	a.errorf("unknown flag %s: vouch's own flags take two dashes, as --%s (only mkcert's work with one)", arg, name)
	a.usageLine(cmd)
	if fixed, found := twoDashes(a.argv, fs); found && !a.installNext {
		a.hintf("%s", platform.Cmd{Argv: append([]string{"vouch"}, fixed...)})
	} else {
		a.hintf("use --%s (vouch's own flags take two dashes)", name)
	}
	return exitUsage, true
}

// twoDashes is args with each of fs's long flags written with one dash
// given a second; found says there was one.
func twoDashes(args []string, fs *pflag.FlagSet) (fixed []string, found bool) {
	fixed = slices.Clone(args)
	for i := 0; i < len(fixed); i++ {
		arg := fixed[i]
		if arg == "--" {
			break
		}
		if !strings.HasPrefix(arg, "-") || len(arg) < 2 {
			continue
		}
		name, _, inline := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "--") && len(name) > 1 && fs.Lookup(name) != nil {
			fixed[i] = "-" + arg
			found = true
		}
		if valueFlags[name] && !inline {
			i++ // its value, whatever it looks like
		}
	}
	return fixed, found
}

// synopsis is "vouch NAME USAGE", with no space at the end for a command
// that takes no arguments.
func (c *command) synopsis() string {
	if c.usage == "" {
		return "vouch " + c.name
	}
	return "vouch " + c.name + " " + c.usage
}

func (c *command) longHelp() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n", c.synopsis())
	if c.help != "" {
		b.WriteString(c.help)
		b.WriteString("\n")
	} else {
		b.WriteString(strings.ToUpper(c.summary[:1]) + c.summary[1:] + ".\n")
	}
	fs := newFlagSet(c.name)
	c.flags(fs)
	if u := fs.FlagUsages(); u != "" {
		b.WriteString("\nFlags:\n")
		b.WriteString(u)
	}
	return b.String()
}

// usageError prints a usage error and the command's usage line; exit 2.
func (a *app) usageError(cmd, format string, args ...any) int {
	a.errorf(format, args...)
	a.usageLine(cmd)
	a.hintf("vouch help %s", cmd)
	return exitUsage
}

// usageLine prints the command's usage line to stderr.
func (a *app) usageLine(cmd string) {
	if c := findCommand(cmd); c != nil {
		fmt.Fprintf(a.stderr, "usage: %s\n", c.synopsis())
	}
}

func (a *app) cmdVersion(args []string) int {
	if len(args) > 0 {
		return a.usageError("version", "unexpected argument %q", args[0])
	}
	v, c, d := version, commit, date
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	line := "vouch " + v
	if c != "" {
		line += " (" + c
		if d != "" {
			line += ", " + d
		}
		line += ")"
	}
	fmt.Fprintln(a.stdout, line)
	return exitOK
}

const globalUsage = `vouch makes a local certificate authority that can vouch only for local
and development names, and issues certificates signed by it.

Usage:
  vouch HOST...                 issue a certificate (same as vouch cert HOST...)
  vouch cert [flags] HOST...    issue a certificate for these names
  vouch cert --csr FILE         sign a certificate request
  vouch caroot                  print the CA folder
  vouch install                 make the CA if needed and trust it (system, browsers, Java)
  vouch uninstall               take the trust back out
  vouch status [--json]         show the CA and, per store, whether it is trusted
  vouch trust SOURCE --fingerprint FP   trust someone else's root (a file, URL or host:port)
  vouch untrust LABEL           take a root trusted for someone else back out
  vouch env [--shell SHELL]     exports for runtimes that ignore the system store
  vouch export [--out DIR]      write the root and an invitation for friends to trust it
  vouch check URL|HOST:PORT     connect and explain whether to trust the server
  vouch rotate                  replace the CA with a new one for the same names
  vouch completion SHELL        print a completion script (bash, zsh, fish, powershell)
  vouch version                 print the version
  vouch help [COMMAND]          show help

The CA is made on first use in the CA folder: --caroot, else $VOUCH_CAROOT,
else $CAROOT, else the per-user data folder. mkcert's flags (-cert-file,
-key-file, -p12-file, -pkcs12, -client, -ecdsa, -csr, -CAROOT, -install,
-uninstall) work as they do in mkcert.
`
