package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

type manOptions struct {
	dir string
}

func newManCmd(f *Factory) *cobra.Command {
	o := &manOptions{}
	c := &cobra.Command{
		Use:   "man --dir DIR",
		Short: "Write hookscope's man pages (section 1) into a directory",
		Long: `man writes one section-1 man page per command into --dir (hookscope.1,
hookscope-listen.1, …, and hookscope-environment.1), generated from the same
commands and flags as --help, so they cannot drift. Release packages install
them; SOURCE_DATE_EPOCH sets the date written into them.`,
		Example: `  hookscope man --dir ~/.local/share/man/man1 && man hookscope
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) hookscope man --dir manpages`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return manRun(c, f, o)
		},
	}
	c.Flags().StringVar(&o.dir, "dir", "", "directory to write the pages into (created if missing)")
	return c
}

func manRun(c *cobra.Command, f *Factory, o *manOptions) error {
	if o.dir == "" {
		return usageErrorf("man needs --dir DIR, the directory to write the pages into")
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s for the man pages: %w", o.dir, err)
	}
	root := c.Root()
	// The pages are the product's, not cobra's: no "Auto generated" lines.
	root.DisableAutoGenTag = true
	header := &doc.GenManHeader{Source: "hookscope " + version, Manual: "hookscope manual"}
	if err := doc.GenManTree(root, header, o.dir); err != nil {
		return fmt.Errorf("cannot write the man pages into %s: %w", o.dir, err)
	}
	// GenManTree skips help topics; environment gets a page of its own,
	// like gh's, so `man hookscope-environment` matches `hookscope help environment`.
	for _, t := range root.Commands() {
		if !t.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeManPage(t, header, filepath.Join(o.dir, "hookscope-"+t.Name()+".1")); err != nil {
			return fmt.Errorf("cannot write the man pages into %s: %w", o.dir, err)
		}
	}
	fmt.Fprintf(f.IO.ErrOut, "Wrote man pages into %s\n", o.dir)
	return nil
}

// writeManPage writes a help topic's page. Its text is laid out in
// columns, which man would refill into one paragraph: a fenced block keeps it.
func writeManPage(topic *cobra.Command, header *doc.GenManHeader, path string) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	parent := &cobra.Command{Use: topic.Root().Name()}
	page := &cobra.Command{Use: topic.Use, Short: topic.Short, Long: "```\n" + topic.Long + "\n```", DisableAutoGenTag: true}
	parent.AddCommand(page)
	h := *header
	if err := doc.GenMan(page, &h, fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
