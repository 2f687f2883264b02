package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// command is one subcommand: `kirje campaigns create …`.
type command struct {
	name     string   // words after "kirje", e.g. "campaigns create"
	args     string   // positional arguments for usage, e.g. "ID"; "" takes none (parseCommand refuses any)
	summary  string   // one line for `kirje help`
	settings []string // configuration settings it reads (flags + KIRJE_* variables)
	required []string // settings it cannot start without
	// setup declares the command's own flags on fs and returns what runs after parsing.
	setup func(fs *flag.FlagSet) runFunc
}

type runFunc func(ctx context.Context, e *env, args []string) error

// usageError is bad input on the command line: exit status 2 with the reason.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// env is what a running command gets: its configuration, its I/O, and its resources.
type env struct {
	cfg    Config
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	logger *slog.Logger
	getenv func(string) string
	// terminal is true when stderr is a terminal: long work shows progress there.
	terminal bool
	closers  []func()
	pool     *pgxpool.Pool // opened by db, at most once
}

func (e *env) onClose(f func()) { e.closers = append(e.closers, f) }

func (e *env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// run is the whole CLI: it returns the process exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		return help(cmds, args, stdout, stderr)
	}
	cmd, rest := findCommand(cmds, args)
	if cmd == nil {
		if group := groupCommands(cmds, args[0]); len(group) > 0 {
			fmt.Fprintf(stderr, "kirje %s: missing subcommand\n\n", args[0])
			printCommandList(stderr, group)
			return 2
		}
		fmt.Fprintf(stderr, "kirje: unknown command %q (see `kirje help`)\n", args[0])
		return 2
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, terminal: isTerminal(stderr)}
	defer e.close()
	runner, positional, err := parseCommand(cmd, rest, e)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = e.authorize(ctx, cmd)
	}
	if err == nil {
		err = runner(ctx, e, positional)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "kirje %s: %v\n", cmd.name, err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "(see `kirje %s -h`)\n", cmd.name)
		return 2
	}
	return 1
}

// parseCommand parses flags (allowed before and after positional arguments), applies the
// configuration, checks required settings and sets up logging.
func parseCommand(cmd *command, args []string, e *env) (runFunc, []string, error) {
	fs := flag.NewFlagSet("kirje "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	values := map[string]*string{}
	for _, name := range cmd.settings {
		s, ok := lookupSetting(name)
		if !ok {
			panic("kirje: command " + cmd.name + " names unknown setting " + name)
		}
		def := s.def
		if v := e.getenv(s.env()); v != "" {
			def = v
		}
		values[name] = fs.String(s.name, def, s.usage+" ($"+s.env()+")")
	}
	runner := cmd.setup(fs)
	fs.Usage = func() { commandUsage(e.stderr, cmd, fs) }
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, err
		}
		return nil, nil, usageError{err.Error()}
	}
	if cmd.args == "" && len(positional) > 0 {
		return nil, nil, usagef("unexpected argument %q: %s takes no arguments", positional[0], cmd.name)
	}
	if err := applySettings(&e.cfg, cmd, values); err != nil {
		return nil, nil, err
	}
	e.logger = newLogger(e.cfg, e.stderr)
	return runner, positional, nil
}

func applySettings(cfg *Config, cmd *command, values map[string]*string) error {
	// Defaults for settings the command does not take, so the Config is always complete.
	for _, s := range settingsTable() {
		if _, ok := values[s.name]; !ok && s.def != "" {
			_ = s.set(cfg, s.def)
		}
	}
	for _, name := range cmd.settings {
		s, _ := lookupSetting(name)
		v := *values[name]
		if v == "" {
			continue
		}
		if err := s.set(cfg, v); err != nil {
			return settingError(name, err)
		}
	}
	for _, name := range cmd.required {
		s, _ := lookupSetting(name)
		if *values[name] == "" {
			return usagef("missing required setting %s (or --%s): %s", s.env(), s.name, s.usage)
		}
	}
	return nil
}

// settingError is a bad value of the named setting: a usage error naming its variable and flag.
func settingError(name string, err error) error {
	s, ok := lookupSetting(name)
	if !ok {
		panic("kirje: settingError names unknown setting " + name)
	}
	return usagef("setting %s (--%s): %v", s.env(), s.name, err)
}

// checkLimit refuses a --limit outside 1 to maximum.
func checkLimit(limit, maximum int) error {
	if limit < 1 || limit > maximum {
		return usagef("--limit must be 1 to %d", maximum)
	}
	return nil
}

// parseInterspersed lets flags follow positional arguments (`kirje campaigns schedule 7 --at …`),
// which the standard flag package stops parsing at. "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func findCommand(cmds []*command, args []string) (*command, []string) {
	var best *command
	bestWords := 0
	for _, c := range cmds {
		words := strings.Fields(c.name)
		if len(words) > len(args) || len(words) <= bestWords {
			continue
		}
		match := true
		for i, w := range words {
			if args[i] != w {
				match = false
				break
			}
		}
		if match {
			best, bestWords = c, len(words)
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, args[bestWords:]
}

func groupCommands(cmds []*command, group string) []*command {
	var out []*command
	for _, c := range cmds {
		if strings.HasPrefix(c.name, group+" ") {
			out = append(out, c)
		}
	}
	return out
}

func help(cmds []*command, args []string, stdout, stderr io.Writer) int {
	if len(args) >= 2 && args[0] == "help" {
		if args[1] == "config" {
			printConfigTable(stdout)
			return 0
		}
		if cmd, _ := findCommand(cmds, args[1:]); cmd != nil {
			fs := flag.NewFlagSet("kirje "+cmd.name, flag.ContinueOnError)
			for _, name := range cmd.settings {
				s, _ := lookupSetting(name)
				fs.String(s.name, s.def, s.usage+" ($"+s.env()+")")
			}
			cmd.setup(fs)
			commandUsage(stdout, cmd, fs)
			return 0
		}
		if group := groupCommands(cmds, args[1]); len(group) > 0 {
			printCommandList(stdout, group)
			return 0
		}
		fmt.Fprintf(stderr, "kirje help: unknown command %q\n", args[1])
		return 2
	}
	fmt.Fprint(stdout, `Kirje — email marketing engagement and suppression processor.

Usage: kirje COMMAND [flags] [arguments]

`)
	printCommandList(stdout, cmds)
	fmt.Fprint(stdout, `
Every setting is read from its KIRJE_* environment variable and can be overridden by the
matching flag. "kirje help config" lists them all; "kirje COMMAND -h" shows a command's flags.
`)
	return 0
}

func printCommandList(w io.Writer, cmds []*command) {
	sorted := append([]*command(nil), cmds...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	fmt.Fprintln(w, "Commands:")
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-24s %s\n", c.name, c.summary)
	}
}

func commandUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: kirje %s [flags] %s\n\n%s\n", cmd.name, cmd.args, cmd.summary)
	if len(cmd.required) > 0 {
		fmt.Fprintf(w, "\nRequired settings: %s\n", strings.Join(cmd.required, ", "))
	}
	fmt.Fprintln(w, "\nFlags:")
	// A setting's flag defaults to its environment variable; help does not print the values
	// that may hold credentials.
	fs.VisitAll(func(f *flag.Flag) {
		if s, ok := lookupSetting(f.Name); ok && credential(f.Name) && f.DefValue != s.def {
			f.DefValue = "$" + s.env() + ", not shown"
		}
	})
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// credential reports whether a setting's value may hold a secret or a password.
func credential(name string) bool {
	switch name {
	case "secret", "old-secrets", "database-url", "redis-url", "smtp-url", "smtp-relays":
		return true
	}
	return false
}

func printConfigTable(w io.Writer) {
	fmt.Fprintln(w, "| Variable | Flag | Default | Meaning |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, s := range settingsTable() {
		def := s.def
		if def == "" {
			def = "—"
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(w, "| `%s` | `--%s` | %s | %s |\n", s.env(), s.name, def, s.usage)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
