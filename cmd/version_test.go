package cmd

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestGoTrustsCompromisedCAs(t *testing.T) {
	for _, tc := range []struct {
		goVersion string
		affected  bool
	}{
		{"go1.25.7", true},
		{"go1.26.0", true},
		{"go1.26rc1", true},
		{"go1.26.8", true},
		{"go1.26.9", true},
		{"go1.26.10", false},
		{"go1.26.11", false},
		{"go1.27rc2", true},
		{"go1.27.0", true},
		{"go1.27.2", true},
		{"go1.27.3", false},
		{"go1.27.10", false},
		{"go1.28.0", false},
		{"go1.26.8 X:nocoverageredesign", true},
		{"go1.27.3 X:jsonv2", false},
		// A toolchain built from source: its version says nothing either way.
		{"devel go1.28-abcdef Tue Mar 3 10:00:00 2026 +0000", false},
		{"", false},
	} {
		if got := goTrustsCompromisedCAs(tc.goVersion); got != tc.affected {
			t.Errorf("goTrustsCompromisedCAs(%q) = %v, want %v", tc.goVersion, got, tc.affected)
		}
	}
}

func TestResolveBuild(t *testing.T) {
	stamped := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/hookscope/hookscope", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-03-30T10:15:00Z"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	for _, tc := range []struct {
		name                string
		ldVersion, ldC, ldD string
		bi                  *debug.BuildInfo
		want                buildInfo
	}{
		{"goreleaser's ldflags win", "1.5.0", "feedface", "2026-04-01T00:00:00Z", stamped,
			buildInfo{Version: "1.5.0", Commit: "feedface", Date: "2026-04-01T00:00:00Z"}},
		{"go install m@v1.4.0", "dev", "", "", stamped,
			buildInfo{Version: "1.4.0", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-03-30T10:15:00Z"}},
		{"go build with -buildvcs=false", "dev", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			buildInfo{Version: "dev"}},
		{"go build in a changed checkout", "dev", "", "", &debug.BuildInfo{
			Main: debug.Module{Version: "v0.0.0-20260330101500-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123456789ab"},
				{Key: "vcs.modified", Value: "true"},
			}},
			buildInfo{Version: "0.0.0-20260330101500-0123456789ab+dirty", Commit: "0123456789ab", Modified: true}},
		{"no build info at all", "dev", "", "", nil, buildInfo{Version: "dev"}},
	} {
		if got := resolveBuild(tc.ldVersion, tc.ldC, tc.ldD, tc.bi); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestVersionText(t *testing.T) {
	b := buildInfo{Version: "1.4.0", Commit: "0123456789abcdef0123", Date: "2026-03-30T10:15:00Z", Modified: true}
	got := versionText(b, "go1.27.3", "linux/arm64")
	want := "hookscope 1.4.0\ncommit 0123456789ab (modified), built 2026-03-30T10:15:00Z, go1.27.3, linux/arm64\n"
	if got != want {
		t.Errorf("fixed toolchain:\n got %q\nwant %q", got, want)
	}
	got = versionText(buildInfo{Version: "dev"}, "go1.26.8", "darwin/amd64")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "hookscope dev" || lines[1] != "go1.26.8, darwin/amd64" ||
		!strings.Contains(lines[2], "CVE-2026-111943") || !strings.Contains(lines[2], "go1.26.8") ||
		!strings.Contains(lines[2], "GOTOOLCHAIN=go1.27.3") {
		t.Errorf("affected toolchain: %q", got)
	}
}

// `hookscope version` and `hookscope --version` say the same, and warn
// exactly when the Go that built this (test) binary is affected.
func TestVersionCommandAndFlagAgree(t *testing.T) {
	io1, out1, _ := Test()
	if code := run(io1, []string{"version"}); code != 0 {
		t.Fatalf("version: exit %d", code)
	}
	io2, out2, _ := Test()
	if code := run(io2, []string{"--version"}); code != 0 {
		t.Fatalf("--version: exit %d", code)
	}
	if out1.String() != out2.String() {
		t.Errorf("version %q, --version %q", out1, out2)
	}
	if !strings.HasPrefix(out1.String(), "hookscope ") || !strings.Contains(out1.String(), runtime.Version()) {
		t.Errorf("version output: %q", out1)
	}
	if warned := strings.Contains(out1.String(), "CVE-2026-111943"); warned != goTrustsCompromisedCAs(runtime.Version()) {
		t.Errorf("built with %s, warned %v: %q", runtime.Version(), warned, out1)
	}
}
