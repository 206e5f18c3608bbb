package cmd

import "github.com/spf13/cobra"

// environmentHelp lists every environment variable hookscope's own code
// reads; environment_test.go fails when one is read but not listed here.
const environmentHelp = `Environment variables hookscope reads. A flag that says the same beats the
variable, and the variable beats the config file.

  HOOKSCOPE_DB              the store file when --db is not given
                            (default $XDG_DATA_HOME/hookscope/hookscope.db)
  VIDEONEST_WEBHOOK_SECRET  the signing secret when no --secret is given; the
                            config file's secret is used when neither is set
  NGROK_AUTHTOKEN           the ngrok authtoken when --authtoken is not given;
                            with one, --tunnel auto opens a public URL

  XDG_DATA_HOME             where the store lives (default ~/.local/share)
  XDG_CONFIG_HOME           where config.toml lives (default ~/.config); also
                            where ngrok's own ngrok.yml is looked for a token
  XDG_STATE_HOME            where hookscope.log lives, with ngrok's log lines
                            (default ~/.local/state)
  HOME                      the base of those defaults when the XDG variables
                            are unset
  LOCALAPPDATA              Windows: where ngrok's own ngrok.yml is looked for

  VISUAL, EDITOR            the editor for "replay --edit" and the TUI's "e"
                            (VISUAL first)
  NO_COLOR                  when set (to anything), no colour in the output
  TERM, TMUX                the TUI's copy keys wrap the clipboard sequence so
                            it passes through GNU screen (TERM=screen*, no TMUX)
  GOGC                      when set, listen leaves the Go garbage collector's
                            target as given instead of its own 400
  GOMEMLIMIT                when set, listen leaves the Go memory limit as
                            given instead of --body-budget plus 64 MiB
  SOURCE_DATE_EPOCH         the date "hookscope man" writes into the pages
                            (seconds since 1970; default now), for
                            reproducible packages`

// newEnvironmentTopic is `hookscope help environment`: a help topic (no
// Run), so cobra lists it under "Additional help topics".
func newEnvironmentTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "Environment variables that can be used with hookscope",
		Long:  environmentHelp,
	}
}
