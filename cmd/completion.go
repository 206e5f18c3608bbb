package cmd

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect/sample"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/spf13/cobra"
)

// addCompletions gives the shell completion scripts (hookscope completion
// SHELL) what they cannot know: recent ids and events from the store,
// config keys, and the values of enum flags. It walks the built tree, so a
// command gains them by having the argument or flag.
func addCompletions(root *cobra.Command, f *Factory) {
	enums := map[string][]string{
		"tunnel":    {"auto\tngrok when a token is set, else local", "ngrok\trequire the public tunnel", "none\tlocal only"},
		"format":    {"jsonl\tlossless, body base64", "har\tHAR 1.2", "curl\tcurl commands"},
		"signature": {"valid", "invalid", "missing", "unchecked"},
	}
	var providers []string
	for _, p := range signature.Providers() {
		name, about, _ := strings.Cut(p, ": ")
		providers = append(providers, name+"\t"+about)
	}
	enums["provider"] = providers
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch c.CommandPath() {
		case "hookscope show", "hookscope replay", "hookscope delete", "hookscope export":
			c.ValidArgsFunction = func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if c.Name() == "show" && len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return completeIDs(c.Context(), f, args, toComplete), cobra.ShellCompDirectiveNoFileComp
			}
		case "hookscope config set", "hookscope config get", "hookscope config unset":
			c.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				var out []cobra.Completion
				for _, k := range sortedConfigKeys() {
					out = append(out, k+"\t"+configKeys[k])
				}
				return out, cobra.ShellCompDirectiveNoFileComp
			}
		}
		for name, values := range enums {
			// verify's --signature is a hex value, not a verdict.
			if c.LocalFlags().Lookup(name) == nil || (name == "signature" && c.Name() == "verify") {
				continue
			}
			c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
		if c.LocalFlags().Lookup("event") != nil {
			c.RegisterFlagCompletionFunc("event", func(c *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return completeEvents(c.Context(), f), cobra.ShellCompDirectiveNoFileComp
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completionStore opens the store only if it exists: completing must never
// create one.
func completionStore(f *Factory) *store.Store {
	p, err := f.DBPath()
	if err != nil {
		return nil
	}
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	st, err := f.Store()
	if err != nil {
		return nil
	}
	return st
}

// completeIDs offers the newest ids starting with what is typed, each
// described by its event, path and age.
func completeIDs(ctx context.Context, f *Factory, args []string, prefix string) []cobra.Completion {
	st := completionStore(f)
	if st == nil {
		return nil
	}
	p := strings.ToLower(prefix)
	recs, err := st.List(ctx, store.Query{Limit: 200})
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, r := range recs {
		if !strings.HasPrefix(r.ID, p) || slices.Contains(args, r.ID) {
			continue
		}
		ev := r.Event
		if ev == "" {
			ev = "-"
		}
		out = append(out, cobra.CompletionWithDesc(r.ID, ev+" "+r.Method+" "+truncate(r.Path, 30)+", "+time.Since(r.ReceivedAt).Round(time.Second).String()+" ago"))
		if len(out) == 50 {
			break
		}
	}
	return out
}

// completeEvents offers VideoNest's events and every other event seen in
// the newest captures.
func completeEvents(ctx context.Context, f *Factory) []cobra.Completion {
	seen := map[string]bool{}
	var out []cobra.Completion
	for _, e := range sample.Events() {
		seen[e.Name] = true
		out = append(out, e.Name)
	}
	if st := completionStore(f); st != nil {
		recs, _ := st.List(ctx, store.Query{Limit: 1000})
		for _, r := range recs {
			if r.Event != "" && !seen[r.Event] && !strings.ContainsAny(r.Event, "\t\n\r\x1b") {
				seen[r.Event] = true
				out = append(out, r.Event)
			}
		}
	}
	return out
}
