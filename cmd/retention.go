package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

type pruneOptions struct {
	olderThan time.Duration
	keep      int
}

func newPruneCmd(f *Factory) *cobra.Command {
	o := &pruneOptions{}
	c := &cobra.Command{
		Use:   "prune --older-than AGE | --keep N",
		Short: "Delete old captures (with their attempts and deliveries) to bound the store",
		Long: `prune deletes captured requests older than --older-than (7d, 30d, 12h) or all but
the newest --keep N, or both, with their attempts and outbox rows. It works while
listen runs. SQLite reuses the freed space for new captures, so the file stops
growing; it does not shrink (VACUUM the file with listen stopped to shrink it).
listen --retention 30d prunes in the background instead.`,
		Example: `  hookscope prune --older-than 7d
  hookscope prune --keep 10000`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if o.olderThan <= 0 && o.keep <= 0 {
				return usageErrorf("prune needs --older-than AGE (e.g. 7d) or --keep N")
			}
			if o.keep < 0 {
				return usageErrorf("--keep must be 1 or more")
			}
			st, err := f.ExistingStore()
			if err != nil {
				return err
			}
			var before time.Time
			if o.olderThan > 0 {
				before = time.Now().Add(-o.olderThan)
			}
			n, err := st.Prune(c.Context(), before, o.keep)
			fmt.Fprintf(f.IO.ErrOut, "Deleted %d %s.\n", n, plural(n, "request"))
			return err
		},
	}
	c.Flags().Var((*ageValue)(&o.olderThan), "older-than", "delete requests received longer ago than this (7d, 30d, 12h)")
	c.Flags().IntVar(&o.keep, "keep", 0, "keep only the newest N requests")
	return c
}

func newDeleteCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete captured requests (with their attempts and deliveries)",
		Long: `delete removes the given requests (any unique id prefix) from the store, with
their attempts and pending outbox deliveries. It works while listen runs.`,
		Example: `  hookscope delete 0k3m
  hookscope list --json | jq -r '.[] | select(.signature=="invalid") | .id' | xargs hookscope delete`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			st, err := f.ExistingStore()
			if err != nil {
				return err
			}
			ids, err := selection{}.ids(c.Context(), st, args, 0)
			if err != nil {
				return err
			}
			n, err := st.Delete(c.Context(), ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				fmt.Fprintln(f.IO.Out, id)
			}
			fmt.Fprintf(f.IO.ErrOut, "Deleted %d %s.\n", n, plural(n, "request"))
			return nil
		},
	}
}
