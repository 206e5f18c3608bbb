package main

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The binary the tests built says which Go built it, and `version` and
// `--version` say the same thing.
func TestVersionNamesTheGoThatBuiltTheBinary(t *testing.T) {
	e := newEnv(t)
	bi, err := buildinfo.ReadFile(hookscopeBin)
	if err != nil {
		t.Fatal(err)
	}
	flag, cmd := e.mustRun("--version"), e.mustRun("version")
	if flag != cmd {
		t.Errorf("--version %q, version %q", flag, cmd)
	}
	lines := strings.Split(strings.TrimSuffix(flag, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "hookscope ") ||
		!strings.Contains(lines[1], bi.GoVersion+", "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("--version of a binary built with %s:\n%s", bi.GoVersion, flag)
	}
}

// goreleaser's ldflags reach every place that names the version, and
// listen says once on stderr when its Go trusts the compromised CA keys,
// exactly when `version` does.
func TestReleaseLdflagsAndTheCompromisedGoWarning(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hookscope")
	const pkg = "github.com/hookscope/hookscope/cmd"
	build := exec.Command("go", "build", "-o", bin, "-ldflags",
		"-X "+pkg+".version=9.8.7 -X "+pkg+".commit=0123456789abcdef0123 -X "+pkg+".date=2026-03-30T10:15:00Z", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e := newEnv(t)
	e.bin = bin
	out := e.mustRun("version")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "hookscope 9.8.7" || !strings.HasPrefix(lines[1], "commit 0123456789ab, built 2026-03-30T10:15:00Z, go") {
		t.Errorf("version:\n%s", out)
	}
	warned := strings.Contains(out, "CVE-2026-111943")
	if warned != (len(lines) == 3) {
		t.Errorf("a third line that is not the warning:\n%s", out)
	}

	p := e.start([]string{"listen", "--tunnel", "none"})
	if p.Ready["version"] != "9.8.7" {
		t.Errorf("ready line version %v", p.Ready["version"])
	}
	p.stop()
	n := strings.Count(p.errb.String(), "CVE-2026-111943")
	if warned && n != 1 || !warned && n != 0 {
		t.Errorf("version warned %v; listen's stderr says it %d times:\n%s", warned, n, p.errb.String())
	}
	if warned && !strings.Contains(p.errb.String(), "GOTOOLCHAIN=go1.27.3") {
		t.Errorf("the warning does not say how to fix it:\n%s", p.errb.String())
	}
}

// `hookscope man` writes pages man(1) can read, including the environment topic.
func TestManPagesRenderWithMan(t *testing.T) {
	manBin, err := exec.LookPath("man")
	if err != nil {
		t.Skip("man is not installed (apt-get install man-db); .ci/run installs it")
	}
	e := newEnv(t)
	dir := filepath.Join(e.dir, "man1")
	e.mustRun("man", "--dir", dir)
	for page, want := range map[string]string{"hookscope.1": "hookscope-listen(1)", "hookscope-environment.1": "VIDEONEST_WEBHOOK_SECRET"} {
		c := exec.Command(manBin, "-l", filepath.Join(dir, page))
		c.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=100")
		out, err := c.Output()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("man -l %s: %v\n%s", page, err, out)
		}
	}
}
