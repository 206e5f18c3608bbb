package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newConfigCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Read and change hookscope's config file (secrets, ngrok token)",
		Long: `config manages $XDG_CONFIG_HOME/hookscope/config.toml (mode 0600), so nobody edits
it by hand. Flags beat environment variables, which beat this file.

Keys:
` + keyHelp(),
		Example: `  hookscope config set secret whsec_live_abc123
  hookscope config set secret new_secret,old_secret   # rotation: both accepted
  hookscope config set ngrok-authtoken 2abc...
  hookscope config get
  hookscope config unset port
  hookscope config path`,
	}
	c.AddCommand(&cobra.Command{
		Use:     "set KEY VALUE",
		Short:   "Set a config key",
		Example: "  hookscope config set secret whsec_live_abc123",
		Args:    cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			p, cfg, err := editConfig(f, func(cfg *fileConfig) error { return cfg.set(args[0], args[1]) })
			if err != nil {
				return err
			}
			shown, _ := cfg.get(args[0])
			fmt.Fprintf(f.IO.ErrOut, "Set %s = %s in %s\n", args[0], shown, p)
			return nil
		},
	}, &cobra.Command{
		Use:     "unset KEY",
		Short:   "Remove a config key, so its default applies again",
		Example: "  hookscope config unset port",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			p, _, err := editConfig(f, func(cfg *fileConfig) error { return cfg.unset(args[0]) })
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.ErrOut, "Unset %s in %s\n", args[0], p)
			return nil
		},
	}, &cobra.Command{
		Use:   "get [KEY]",
		Short: "Print config keys (secrets masked to their last 4 characters)",
		Example: `  hookscope config get
  hookscope config get forward-to`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				v, err := cfg.get(args[0])
				if err != nil {
					return usageError{err}
				}
				fmt.Fprintln(f.IO.Out, v)
				return nil
			}
			for _, k := range sortedConfigKeys() {
				v, _ := cfg.get(k)
				fmt.Fprintf(f.IO.Out, "%s = %s\n", k, v)
			}
			return nil
		},
	}, &cobra.Command{
		Use:     "path",
		Short:   "Print the config file's path",
		Example: "  hookscope config path",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			p, err := f.ConfigPath()
			if err != nil {
				return err
			}
			fmt.Fprintln(f.IO.Out, p)
			return nil
		},
	})
	requireSubcommand(c)
	return c
}

func keyHelp() string {
	var b strings.Builder
	for _, k := range sortedConfigKeys() {
		fmt.Fprintf(&b, "  %-16s %s\n", k, configKeys[k])
	}
	return b.String()
}

// editConfig reads the config file, applies edit (its error is the user's:
// a usage error) and writes the file back; it returns the file's path and
// the edited config.
func editConfig(f *Factory, edit func(*fileConfig) error) (string, *fileConfig, error) {
	p, err := f.ConfigPath()
	if err != nil {
		return "", nil, err
	}
	cfg, err := f.Config()
	if err != nil {
		return "", nil, err
	}
	if err := edit(cfg); err != nil {
		return "", nil, usageError{err}
	}
	if err := cfg.save(p); err != nil {
		return "", nil, err
	}
	return p, cfg, nil
}
