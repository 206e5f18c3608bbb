package edit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	b, ext, err := Text([]byte("\xef\xbb\xbf{\"a\":[1,2.50]}"))
	if err != nil || ext != ".json" || string(b) != "{\n  \"a\": [\n    1,\n    2.50\n  ]\n}\n" {
		t.Fatalf("%q %s %v", b, ext, err)
	}
	// Raw, not sanitised: the file is for an editor, and what is saved is sent.
	b, ext, err = Text([]byte("log: \x1b[31mred\x1b[0m line"))
	if err != nil || ext != ".txt" || string(b) != "log: \x1b[31mred\x1b[0m line" {
		t.Fatalf("%q %s %v", b, ext, err)
	}
	if _, _, err := Text(nil); err == nil {
		t.Fatal("an empty body is editable")
	}
	if _, _, err := Text([]byte{0, 1, 2, 0xff, 0xfe}); err == nil {
		t.Fatal("a binary body is editable as text")
	}
}

// TestTextDeepNesting: a hostile, deeply nested body must not build an
// editor file many times the body's size.
func TestTextDeepNesting(t *testing.T) {
	body := []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000))
	out, ext, err := Text(body)
	if err != nil || ext != ".json" {
		t.Fatalf("%v %q", err, ext)
	}
	if len(out) > 10*len(body) {
		t.Errorf("editor file %d bytes for a %d-byte body", len(out), len(body))
	}
}

// TestCommandRunsEditorThroughShell runs a real editor script whose path
// has a space in it, quoted as a shell user would, with an argument: the
// split-on-spaces editor the TUI used to have could not start it.
func TestCommandRunsEditorThroughShell(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh on this machine")
	}
	dir := filepath.Join(t.TempDir(), "my editors")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "fake ed")
	// Replaces the file's content with its first argument's marker.
	os.WriteFile(script, []byte("#!/bin/sh\nprintf '{\"edited\": \"%s\"}\\n' \"$1\" > \"$2\"\n"), 0o755)
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", `"`+script+`" yes`)
	path, err := TempFile("0abc", []byte("{}\n"), ".json")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	if out, err := Command(path).CombinedOutput(); err != nil {
		t.Fatalf("editor did not run: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "{\"edited\": \"yes\"}\n" {
		t.Fatalf("file after the editor: %q", got)
	}
	t.Setenv("EDITOR", "")
	if Editor() != "vi" {
		t.Fatalf("no editor set: %q, want vi", Editor())
	}
	t.Setenv("VISUAL", "nano")
	if Editor() != "nano" {
		t.Fatalf("VISUAL first: %q", Editor())
	}
}

func TestResult(t *testing.T) {
	captured := []byte(`{"event":"video.ready","data":{"id":"v1"}}`)
	original := []byte("{\n  \"event\": \"video.ready\",\n  \"data\": {\n    \"id\": \"v1\"\n  }\n}\n")
	for _, tc := range []struct {
		name, saved, want string
		cancelled         string
	}{
		{"empty", "  \n", "", "the file was left empty"},
		{"unchanged", string(original) + "\n\n", "", "the body was not changed"},
		{"edited, compacted like the capture", "{\n  \"event\": \"video.failed\",\n  \"data\": {\"id\": \"v1\"}\n}\n", `{"event":"video.failed","data":{"id":"v1"}}`, ""},
		{"not JSON any more: sent as saved", "hello\n", "hello\n", ""},
	} {
		got, cancelled := Result(captured, original, []byte(tc.saved))
		if cancelled != tc.cancelled || string(got) != tc.want {
			t.Errorf("%s: %q %q, want %q %q", tc.name, got, cancelled, tc.want, tc.cancelled)
		}
	}
}
