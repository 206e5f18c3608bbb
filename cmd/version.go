package cmd

import (
	"fmt"
	goversion "go/version"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set by goreleaser's ldflags (-X github.com/hookscope/hookscope/cmd.commit=…).
// A `go install` or `go build` leaves them empty, and buildInfo falls back
// to what the Go toolchain stamped into the binary.
var (
	commit string
	date   string
)

// The ready line, the HAR creator and trigger's User-Agent all say
// `version`: resolve it once, so a `go install …@v1.2.0` says 1.2.0
// everywhere instead of "dev".
func init() {
	bi, _ := debug.ReadBuildInfo()
	version = resolveBuild(version, commit, date, bi).Version
}

// buildInfo is what `hookscope version` reports.
type buildInfo struct {
	Version  string // "1.2.0", a pseudo-version, or "dev"
	Commit   string // VCS revision, "" when unknown
	Date     string // commit or build time, "" when unknown
	Modified bool   // built from a working tree with uncommitted changes
}

// resolveBuild prefers what goreleaser set with ldflags and falls back to
// the module version and VCS settings the Go toolchain stamps (go install
// m@v stamps the version; go build in a git checkout stamps the revision).
func resolveBuild(ldVersion, ldCommit, ldDate string, bi *debug.BuildInfo) buildInfo {
	b := buildInfo{Version: ldVersion, Commit: ldCommit, Date: ldDate}
	if bi == nil {
		return b
	}
	if (b.Version == "" || b.Version == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		// goreleaser's .Version has no "v"; say the same whichever built it.
		b.Version = strings.TrimPrefix(bi.Main.Version, "v")
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "" {
				b.Commit = s.Value
			}
		case "vcs.time":
			if b.Date == "" {
				b.Date = s.Value
			}
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

// goTrustsCompromisedCAs reports whether a Go release trusts the
// compromised eMudhra CA keys (CVE-2026-111943): before go1.26.10, and
// go1.27.0 to go1.27.2. The same rule ngrok-go logs a warning by; its log
// goes to a file the user rarely reads, so hookscope says it on the terminal.
func goTrustsCompromisedCAs(goVersion string) bool {
	// "go1.26.8 X:nocoverageredesign" when built with GOEXPERIMENT.
	v, _, _ := strings.Cut(goVersion, " ")
	if !goversion.IsValid(v) {
		return false // a development toolchain: nothing to say about it
	}
	return goversion.Compare(v, "go1.26.10") < 0 ||
		goversion.Lang(v) == "go1.27" && goversion.Compare(v, "go1.27.3") < 0
}

// compromisedCAsWarning is the one sentence an affected binary prints,
// or "" when goVersion is not affected.
func compromisedCAsWarning(goVersion string) string {
	if !goTrustsCompromisedCAs(goVersion) {
		return ""
	}
	return fmt.Sprintf("Warning: this hookscope was built with %s, which trusts TLS certificates from the compromised eMudhra CA keys (CVE-2026-111943); install a release build or rebuild with GOTOOLCHAIN=go1.27.3.", goVersion)
}

// warnIfCompromisedGo prints compromisedCAsWarning on w when the running
// binary is affected. listen calls it once at start.
func warnIfCompromisedGo(w io.Writer) {
	if msg := compromisedCAsWarning(runtime.Version()); msg != "" {
		fmt.Fprintln(w, msg)
	}
}

// versionText is `hookscope --version` and `hookscope version`: the version
// alone on the first line, for scripts; then how it was built.
func versionText(b buildInfo, goVersion, platform string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "hookscope %s\n", b.Version)
	var parts []string
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if b.Modified {
			c += " (modified)"
		}
		parts = append(parts, "commit "+c)
	}
	if b.Date != "" {
		parts = append(parts, "built "+b.Date)
	}
	parts = append(parts, goVersion, platform)
	sb.WriteString(strings.Join(parts, ", "))
	sb.WriteByte('\n')
	if msg := compromisedCAsWarning(goVersion); msg != "" {
		sb.WriteString(msg)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// runningVersionText is versionText for this very binary.
func runningVersionText() string {
	bi, _ := debug.ReadBuildInfo()
	return versionText(resolveBuild(version, commit, date, bi), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print hookscope's version, commit, build date and Go version",
		Long: `version prints the same as --version: the version on the first line, then the
commit, build date and Go release it was built with, and a warning when that
Go release trusts the compromised eMudhra CA keys (CVE-2026-111943).`,
		Example: `  hookscope version
  hookscope --version`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			_, err := io.WriteString(f.IO.Out, runningVersionText())
			return err
		},
	}
}
