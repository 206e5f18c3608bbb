package cmd

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestManWritesAPagePerCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	t.Setenv("SOURCE_DATE_EPOCH", "1774865700") // 2026-03-30
	io, _, errOut := Test()
	if code := run(io, []string{"man", "--dir", dir}); code != 0 {
		t.Fatalf("man: exit %d: %s", code, errOut)
	}
	for name, wants := range map[string][]string{
		"hookscope.1":             {`.TH "HOOKSCOPE" "1" "Mar 2026" "hookscope `, `--port`, "hookscope-listen(1)"},
		"hookscope-listen.1":      {`--forward-to`, "hookscope(1)"},
		"hookscope-config-set.1":  {"config set"},
		"hookscope-environment.1": {"HOOKSCOPE_DB", "VIDEONEST_WEBHOOK_SECRET", ".EX"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s not written: %v", name, err)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
		if strings.Contains(string(b), "Auto generated") {
			t.Errorf("%s carries cobra's auto-generated tag", name)
		}
	}
	// One page per command a user can run, none for cobra's internals.
	pages, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	root := NewRootCmd(newFactory(io))
	want := 2 // hookscope itself and the environment topic
	stack := root.Commands()
	for len(stack) > 0 {
		c := stack[0]
		stack = stack[1:]
		if c.IsAvailableCommand() {
			want++
			stack = append(stack, c.Commands()...)
		}
	}
	if len(pages) != want {
		t.Errorf("%d pages, want %d: %v", len(pages), want, pages)
	}

	io, _, errOut = Test()
	if code := run(io, []string{"man"}); code != 2 || !strings.Contains(errOut.String(), "--dir") {
		t.Errorf("man without --dir: exit %d %q", code, errOut)
	}
}

// Every environment variable hookscope's code reads is listed in
// `hookscope help environment`: the list cannot drift from the code.
func TestEnvironmentTopicListsEveryVariableTheCodeReads(t *testing.T) {
	found := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bench" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != "..") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			if name != "Getenv" && name != "LookupEnv" && name != "getenv" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				found[v] = fset.Position(call.Pos()).String()
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk must have seen the reads this test was written against.
	for _, v := range []string{"HOOKSCOPE_DB", "VIDEONEST_WEBHOOK_SECRET", "NGROK_AUTHTOKEN", "GOGC"} {
		if _, ok := found[v]; !ok {
			t.Fatalf("the scan did not find %s; it no longer sees the code", v)
		}
	}
	io, out, _ := Test()
	if code := run(io, []string{"help", "environment"}); code != 0 {
		t.Fatalf("help environment: exit %d", code)
	}
	for v, at := range found {
		if !strings.Contains(out.String(), v) {
			t.Errorf("%s reads %s, which `hookscope help environment` does not list", at, v)
		}
	}
}
