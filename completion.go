package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/truststore"
)

// The scripts are generated from the command table at run time, so a new
// command or flag is completed without anyone touching this file.

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func completionCommand() *command {
	return &command{
		name:    "completion",
		usage:   strings.Join(completionShells, "|"),
		summary: "print a shell completion script",
		help: `Prints a completion script for the shell to stdout. To load it:

  bash        source <(vouch completion bash)          (in ~/.bashrc)
  zsh         source <(vouch completion zsh)           (in ~/.zshrc, after compinit)
  fish        vouch completion fish | source           (in config.fish)
  powershell  vouch completion powershell | Out-String | Invoke-Expression`,
		flags: func(fs *pflag.FlagSet) runner {
			return func(a *app, args []string) int {
				if len(args) != 1 {
					return a.usageError("completion", "give one shell: %s", strings.Join(completionShells, ", "))
				}
				gen := map[string]func(io.Writer, []complCommand){
					"bash": bashCompletion, "zsh": zshCompletion,
					"fish": fishCompletion, "powershell": powershellCompletion,
				}[args[0]]
				if gen == nil {
					return a.usageError("completion", "unknown shell %q (want %s)", args[0], strings.Join(completionShells, ", "))
				}
				gen(a.stdout, completionModel())
				return exitOK
			}
		},
	}
}

// complFlag is what a completion script needs to know about one flag.
type complFlag struct {
	name  string // without the dashes
	usage string
	value bool     // takes a value
	words []string // the values to offer, if the flag has a fixed set
	list  bool     // words are given comma-separated
	file  bool
	dir   bool
}

type complCommand struct {
	name    string
	summary string
	flags   []complFlag
	args    []string // words offered for positional arguments
}

func completionModel() []complCommand {
	var out []complCommand
	for _, c := range commands() {
		cc := complCommand{name: c.name, summary: c.summary}
		fs := newFlagSet(c.name)
		c.flags(fs)
		fs.VisitAll(func(f *pflag.Flag) {
			varname, usage := pflag.UnquoteUsage(f)
			cf := complFlag{name: f.Name, usage: usage, value: f.NoOptDefVal == ""}
			cf.words, cf.list = flagWords(f.Name)
			cf.file = cf.value && varname == "FILE"
			cf.dir = cf.value && (varname == "DIR" || f.Name == "caroot")
			cc.flags = append(cc.flags, cf)
		})
		cc.flags = append(cc.flags, complFlag{name: "help", usage: "show help"})
		switch c.name {
		case "completion":
			cc.args = completionShells
		case "help":
			for _, h := range commands() {
				cc.args = append(cc.args, h.name)
			}
		}
		out = append(out, cc)
	}
	return out
}

// flagWords are the fixed values of flags that have them.
func flagWords(name string) (words []string, list bool) {
	switch name {
	case "stores":
		return truststore.Names, true
	case "key-type":
		for _, k := range certs.KeyTypes {
			words = append(words, string(k))
		}
		return words, false
	case "shell":
		return []string{"sh", "fish", "powershell"}, false
	}
	return nil, false
}

// valueFlagsOf is every flag, over all commands, that takes a value, keyed
// by name with the first definition winning (names mean the same everywhere).
func valueFlagsOf(cmds []complCommand) []complFlag {
	var out []complFlag
	for _, c := range cmds {
		for _, f := range c.flags {
			if f.value && !slices.ContainsFunc(out, func(o complFlag) bool { return o.name == f.name }) {
				out = append(out, f)
			}
		}
	}
	return out
}

func flagNames(flags []complFlag, keep func(complFlag) bool) []string {
	var out []string
	for _, f := range flags {
		if keep == nil || keep(f) {
			out = append(out, "--"+f.name)
		}
	}
	return out
}

func commandNames(cmds []complCommand) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.name)
	}
	return out
}

// certFlagsOf are the flags offered before any command word: "vouch HOST"
// is "vouch cert HOST".
func certFlagsOf(cmds []complCommand) []complFlag {
	for _, c := range cmds {
		if c.name == "cert" {
			return c.flags
		}
	}
	return nil
}

// Each shell escapes a quote inside single quotes its own way.
func shSingle(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func fishSingle(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

func psSingle(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func join(words []string) string { return strings.Join(words, " ") }

// valueCases writes the case arms that complete a flag's value, shared by
// bash and zsh; the arms differ only in the commands they run.
func valueCases(w io.Writer, cmds []complCommand, indent string, words, list, file, dir, free func(complFlag) string) {
	var bodies []string
	arms := map[string][]string{}
	for _, f := range valueFlagsOf(cmds) {
		var body string
		switch {
		case len(f.words) > 0 && f.list:
			body = list(f)
		case len(f.words) > 0:
			body = words(f)
		case f.file:
			body = file(f)
		case f.dir:
			body = dir(f)
		default:
			body = free(f)
		}
		if arms[body] == nil {
			bodies = append(bodies, body)
		}
		arms[body] = append(arms[body], "--"+f.name)
	}
	for _, body := range bodies {
		fmt.Fprintf(w, "%s%s) %s; return ;;\n", indent, strings.Join(arms[body], "|"), body)
	}
}

func bashCompletion(w io.Writer, cmds []complCommand) {
	fmt.Fprint(w, `# bash completion for vouch; load it with: source <(vouch completion bash)
_vouch_reply() {
    COMPREPLY=()
    local w
    while IFS= read -r w; do COMPREPLY+=("$w"); done
}

_vouch() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= i
    (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
    # "--flag=value" arrives as "--flag" "=" "value" (= is a word break).
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    for (( i = 1; i < COMP_CWORD; i++ )); do
        case ${COMP_WORDS[i]} in
            --) break ;;
`)
	// A flag's value follows it, as the next word or after "=" (which
	// is a word of its own, and the value the one after it).
	fmt.Fprintf(w, "            %s) [[ ${COMP_WORDS[i+1]} == = ]] && (( i++ )); (( i++ )) ;;\n", strings.Join(flagNames(valueFlagsOf(cmds), nil), "|"))
	fmt.Fprint(w, `            -*) [[ ${COMP_WORDS[i+1]} == = ]] && (( i += 2 )) ;;
            =) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $prev in
`)
	valueCases(w, cmds, "        ",
		func(f complFlag) string {
			return fmt.Sprintf(`_vouch_reply < <(compgen -W %s -- "$cur")`, shSingle(join(f.words)))
		},
		func(f complFlag) string {
			return fmt.Sprintf(`local pre=; [[ $cur == *,* ]] && pre=${cur%%,*},; _vouch_reply < <(compgen -P "$pre" -W %s -- "${cur##*,}")`, shSingle(join(f.words)))
		},
		func(complFlag) string {
			return `compopt -o filenames 2>/dev/null; _vouch_reply < <(compgen -f -- "$cur")`
		},
		func(complFlag) string {
			return `compopt -o filenames 2>/dev/null; _vouch_reply < <(compgen -d -- "$cur")`
		},
		func(complFlag) string { return `COMPREPLY=()` })
	fmt.Fprint(w, `    esac
    local words=
    case $cmd in
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "        %s) [[ $cur == -* ]] && words=%s || words=%s ;;\n",
			c.name, shSingle(join(flagNames(c.flags, nil))), shSingle(join(c.args)))
	}
	fmt.Fprintf(w, "        '') [[ $cur == -* ]] && words=%s || words=%s ;;\n",
		shSingle(join(flagNames(certFlagsOf(cmds), nil))+" --version"), shSingle(join(commandNames(cmds))))
	fmt.Fprintf(w, "        *) [[ $cur == -* ]] && words=%s ;;\n", shSingle(join(flagNames(certFlagsOf(cmds), nil))))
	fmt.Fprint(w, `    esac
    _vouch_reply < <(compgen -W "$words" -- "$cur")
}
complete -F _vouch vouch
`)
}

func zshCompletion(w io.Writer, cmds []complCommand) {
	fmt.Fprint(w, `#compdef vouch
# zsh completion for vouch; load it with: source <(vouch completion zsh)
_vouch() {
    local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd= i
    for (( i = 2; i < CURRENT; i++ )); do
        case ${words[i]} in
            --) break ;;
`)
	fmt.Fprintf(w, "            %s) (( i++ )) ;;\n", strings.Join(flagNames(valueFlagsOf(cmds), nil), "|"))
	fmt.Fprint(w, `            -*) ;;
            *) cmd=${words[i]}; break ;;
        esac
    done
    case $prev in
`)
	valueCases(w, cmds, "        ",
		func(f complFlag) string { return "compadd -- " + join(f.words) },
		func(f complFlag) string { return fmt.Sprintf("_values -s , %s %s", f.name, join(f.words)) },
		func(complFlag) string { return "_files" },
		func(complFlag) string { return "_files -/" },
		func(complFlag) string { return "_message value" })
	fmt.Fprint(w, `    esac
    if [[ $cur == -* ]]; then
        case $cmd in
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "            %s) compadd -- %s ;;\n", c.name, join(flagNames(c.flags, nil)))
	}
	fmt.Fprintf(w, "            '') compadd -- %s --version ;;\n", join(flagNames(certFlagsOf(cmds), nil)))
	fmt.Fprintf(w, "            *) compadd -- %s ;;\n", join(flagNames(certFlagsOf(cmds), nil)))
	fmt.Fprint(w, `        esac
        return
    fi
    case $cmd in
        '')
            local -a cmds
            cmds=(
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "                %s\n", shSingle(c.name+":"+c.summary))
	}
	fmt.Fprint(w, `            )
            _describe command cmds ;;
`)
	for _, c := range cmds {
		if len(c.args) > 0 {
			fmt.Fprintf(w, "        %s) compadd -- %s ;;\n", c.name, join(c.args))
		}
	}
	fmt.Fprint(w, `    esac
}
if [[ ${funcstack[1]} == _vouch ]]; then
    _vouch "$@"
else
    compdef _vouch vouch
fi
`)
}

func fishCompletion(w io.Writer, cmds []complCommand) {
	others := slices.DeleteFunc(commandNames(cmds), func(n string) bool { return n == "cert" })
	fmt.Fprintf(w, "# fish completion for vouch; load it with: vouch completion fish | source\n")
	fmt.Fprintf(w, "complete -c vouch -f\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c vouch -n __fish_use_subcommand -a %s -d %s\n", c.name, fishSingle(c.summary))
	}
	for _, c := range cmds {
		cond := "__fish_seen_subcommand_from " + c.name
		if c.name == "cert" {
			// Flags before any command word belong to cert.
			cond = "not __fish_seen_subcommand_from " + join(others)
		}
		for _, f := range c.flags {
			fmt.Fprintf(w, "complete -c vouch -n %s -l %s", fishSingle(cond), f.name)
			switch {
			case len(f.words) > 0:
				fmt.Fprintf(w, " -x -a %s", fishSingle(join(f.words)))
			case f.file:
				fmt.Fprint(w, " -r -F")
			case f.dir:
				fmt.Fprint(w, " -x -a '(__fish_complete_directories)'")
			case f.value:
				fmt.Fprint(w, " -x")
			}
			fmt.Fprintf(w, " -d %s\n", fishSingle(f.usage))
		}
		if len(c.args) > 0 {
			fmt.Fprintf(w, "complete -c vouch -n %s -a %s\n", fishSingle("__fish_seen_subcommand_from "+c.name), fishSingle(join(c.args)))
		}
	}
}

func psArray(words []string) string {
	q := make([]string, len(words))
	for i, s := range words {
		q[i] = psSingle(s)
	}
	return "@(" + strings.Join(q, ", ") + ")"
}

func powershellCompletion(w io.Writer, cmds []complCommand) {
	fmt.Fprint(w, `# PowerShell completion for vouch; load it with:
#   vouch completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName vouch -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $flags = @{
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "        %s = %s\n", psSingle(c.name), psArray(flagNames(c.flags, nil)))
	}
	fmt.Fprintf(w, "        '' = %s\n    }\n    $positional = @{\n", psArray(append(flagNames(certFlagsOf(cmds), nil), "--version")))
	for _, c := range cmds {
		fmt.Fprintf(w, "        %s = %s\n", psSingle(c.name), psArray(c.args))
	}
	fmt.Fprintf(w, "        '' = %s\n    }\n    $values = @{\n", psArray(commandNames(cmds)))
	var paths []string
	for _, f := range valueFlagsOf(cmds) {
		if f.file || f.dir {
			paths = append(paths, "--"+f.name)
			continue
		}
		fmt.Fprintf(w, "        %s = %s\n", psSingle("--"+f.name), psArray(f.words))
	}
	fmt.Fprintf(w, "    }\n    $paths = %s\n", psArray(paths))
	fmt.Fprint(w, `    $words = @($commandAst.CommandElements | Select-Object -Skip 1 |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { "$_" })
    $cmd = ''
    for ($i = 0; $i -lt $words.Count; $i++) {
        $w = $words[$i]
        if ($w -eq '--') { break }
        if ($values.ContainsKey($w) -or $paths -contains $w) { $i++; continue }
        if ($w.StartsWith('-')) { continue }
        $cmd = $w
        break
    }
    $prev = if ($words.Count -gt 0) { $words[-1] } else { '' }
    # Nothing offered falls back to PowerShell's own path completion.
    if ($paths -contains $prev) { return }
    if ($values.ContainsKey($prev)) {
        $candidates = $values[$prev]
    } elseif ($wordToComplete.StartsWith('-')) {
        $candidates = if ($flags.ContainsKey($cmd)) { $flags[$cmd] } else { $flags['cert'] }
    } elseif ($positional.ContainsKey($cmd)) {
        $candidates = $positional[$cmd]
    } else {
        return
    }
    $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}
`)
}
