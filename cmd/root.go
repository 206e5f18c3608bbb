// Package cmd holds hookscope's cobra commands. Commands are thin: parse
// flags, call the inspect/tunnel/tui packages, print. Main is the only place
// that prints errors and chooses exit codes.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hookscope/hookscope/inspect/store"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set by goreleaser: -X github.com/hookscope/hookscope/cmd.version=…
// (without it, version.go's init reads what the Go toolchain stamped).
var version = "dev"

// Exit codes, documented in the README.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed (or a replay got a non-2xx)
	exitUsage = 2 // bad flags or arguments
)

// Factory hands commands what they need, lazily, so `hookscope --help`
// never opens a database.
type Factory struct {
	IO *IOStreams

	dbFlag     string
	configFlag string
	getenv     func(string) string
	st         *store.Store
	cfg        *fileConfig
}

func newFactory(io *IOStreams) *Factory {
	return &Factory{IO: io, getenv: os.Getenv}
}

// ConfigPath is --config, else the XDG default.
func (f *Factory) ConfigPath() (string, error) {
	if f.configFlag != "" {
		return f.configFlag, nil
	}
	return defaultConfigPath()
}

// Config reads the config file once.
func (f *Factory) Config() (*fileConfig, error) {
	if f.cfg != nil {
		return f.cfg, nil
	}
	p, err := f.ConfigPath()
	if err != nil {
		return nil, err
	}
	c, err := loadConfig(p)
	if err != nil {
		return nil, err
	}
	f.cfg = c
	return c, nil
}

// DBPath is --db, else HOOKSCOPE_DB, else the XDG default.
func (f *Factory) DBPath() (string, error) {
	if f.dbFlag != "" {
		return f.dbFlag, nil
	}
	if p := f.getenv("HOOKSCOPE_DB"); p != "" {
		return p, nil
	}
	return store.DefaultPath()
}

// Store opens the store once per process.
func (f *Factory) Store() (*store.Store, error) {
	if f.st != nil {
		return f.st, nil
	}
	p, err := f.DBPath()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(p, store.Options{})
	if err != nil {
		return nil, err
	}
	f.st = st
	return st, nil
}

// ExistingStore opens the store for a command that only reads what was
// captured (list, show, export, replay): a mistyped --db or HOOKSCOPE_DB
// must not silently create an empty store and report "nothing captured".
func (f *Factory) ExistingStore() (*store.Store, error) {
	if f.st != nil {
		return f.st, nil
	}
	p, err := f.DBPath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no store at %s: nothing has been captured there (check --db / HOOKSCOPE_DB, or run `hookscope listen` first)", p)
	}
	return f.Store()
}

func (f *Factory) close() {
	if f.st != nil {
		f.st.Close()
		f.st = nil
	}
}

// Secrets resolves signing secrets: --secret flags, else
// VIDEONEST_WEBHOOK_SECRET, else the config file.
func (f *Factory) Secrets(flags []string) ([]string, string, error) {
	out, from, err := f.secrets(flags)
	if err == nil {
		err = checkSecrets(out, from)
	}
	return out, from, err
}

func (f *Factory) secrets(flags []string) ([]string, string, error) {
	var out []string
	for _, s := range flags {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) > 0 {
		return out, "--secret", nil
	}
	if s := f.getenv("VIDEONEST_WEBHOOK_SECRET"); s != "" {
		return []string{s}, "VIDEONEST_WEBHOOK_SECRET", nil
	}
	c, err := f.Config()
	if err != nil {
		return nil, "", err
	}
	if len(c.Secrets) > 0 {
		return c.Secrets, "config", nil
	}
	return nil, "", nil
}

// usageError marks errors that are the user's invocation, for exit code 2.
type usageError struct{ error }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitError carries a chosen exit code without a message of its own
// (the command has already said what happened).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// NewRootCmd builds the command tree. No globals: tests build their own.
func NewRootCmd(f *Factory) *cobra.Command {
	lo := &listenOptions{}
	root := &cobra.Command{
		Use:   "hookscope",
		Short: "Capture, inspect, forward and replay VideoNest webhooks on your laptop",
		Long: `hookscope gives you a URL to register in VideoNest's dashboard, captures every
webhook durably (SQLite), tells you whether its X-VideoNest-Signature is valid,
forwards it byte for byte to your local handler, and replays it on demand.

With no subcommand it runs "listen", and takes its flags (hookscope listen --help).
Environment variables it reads: "hookscope help environment".`,
		Example: `  hookscope                          # listen on 127.0.0.1:` + fmt.Sprint(defaultPort) + `
  hookscope forward --to localhost:3000
  hookscope list --event video.failed
  hookscope replay 0k3m`,
		Version:       runningVersionText(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return listenRun(c, f, lo)
		},
	}
	root.SetVersionTemplate("{{.Version}}")
	root.PersistentFlags().StringVar(&f.dbFlag, "db", "", "store file (env HOOKSCOPE_DB; default $XDG_DATA_HOME/hookscope/hookscope.db)")
	root.PersistentFlags().StringVar(&f.configFlag, "config", "", "config file (default $XDG_CONFIG_HOME/hookscope/config.toml)")
	addListenFlags(root, lo)
	// Bare hookscope is listen, so it takes listen's flags, but its help
	// lists the commands: listen --help lists those flags. Hidden for the
	// help screen only: the man page still lists them.
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		if c != root {
			defaultHelp(c, args)
			return
		}
		var hidden []*pflag.Flag
		c.LocalNonPersistentFlags().VisitAll(func(fl *pflag.Flag) {
			if !fl.Hidden && fl.Name != "help" && fl.Name != "version" {
				fl.Hidden = true
				hidden = append(hidden, fl)
			}
		})
		defaultHelp(c, args)
		for _, fl := range hidden {
			fl.Hidden = false
		}
	})
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		//lint:ignore ST1005 printed as is to the user, in cobra's own words for this hint
		return usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})

	root.AddCommand(
		newListenCmd(f),
		newForwardCmd(f),
		newReplayCmd(f),
		newListCmd(f),
		newShowCmd(f),
		newConfigCmd(f),
		newTriggerCmd(f),
		newCheckCmd(f),
		newVerifyCmd(f),
		newExportCmd(f),
		newImportCmd(f),
		newVersionCmd(f),
		newManCmd(f),
		newEnvironmentTopic(),
		newPruneCmd(f),
		newDeleteCmd(f),
	)
	root.InitDefaultCompletionCmd()
	addCompletions(root, f)
	typeArgErrors(root)
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = `  source <(hookscope completion bash)
  hookscope completion zsh > "${fpath[1]}/_hookscope"
  hookscope completion fish > ~/.config/fish/completions/hookscope.fish`
			requireSubcommand(c)
		}
	}
	return root
}

// requireSubcommand makes a command that only groups others refuse an
// unknown one: cobra would print the help and exit 0, so a script's typo
// (`completion nushell`) looked like success. Without arguments it still
// prints its help.
func requireSubcommand(c *cobra.Command) {
	c.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		var names []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		return usageErrorf("unknown %s command %q: use %s", c.Name(), args[0], orList(names))
	}
	c.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Main runs hookscope and returns the exit code. It is the only place that
// prints errors.
func Main() int {
	return run(System(), os.Args[1:])
}

func run(io *IOStreams, args []string) int {
	f := newFactory(io)
	defer f.close()
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	msg := err.Error()
	fmt.Fprintln(io.ErrOut, "hookscope: "+msg)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFail
}

// typeArgErrors makes every command's argument check return a usageError,
// so exit code 2 is chosen where the error arises, never by its wording.
func typeArgErrors(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		typeArgErrors(sub)
	}
}
