// Package edit is the one way hookscope lets a person edit a body before a
// replay, for every command and front end: the text they see, the editor
// they get ($VISUAL, else $EDITOR, else vi, run through the shell as git
// does), and what their edit means. It runs no terminal of its own: the
// caller runs the command it returns.
package edit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/hookscope/hookscope/inspect/payload"
)

// Text is the body as a person edits it and the file extension that tells
// their editor what it is: JSON indented (raw, not sanitised: it goes to an
// editor, not the screen), text as is. Empty and binary bodies cannot be
// edited as text.
func Text(body []byte) ([]byte, string, error) {
	switch payload.Decode(body).Kind {
	case payload.Empty:
		return nil, "", errors.New("the body is empty: nothing to edit")
	case payload.Binary:
		return nil, "", errors.New("the body is binary: it cannot be edited as text (try `hookscope replay ID --set`)")
	case payload.JSON:
		// payload.Pretty, not json.Indent: it keeps hostile deep nesting
		// from blowing up (compact instead), and shows terminal-unsafe
		// characters as \u escapes, the same JSON, in the editor too.
		return []byte(payload.Pretty(body) + "\n"), ".json", nil
	}
	return body, ".txt", nil
}

// TempFile writes text to a new private file for the editor; remove it
// when done.
func TempFile(id string, text []byte, ext string) (string, error) {
	f, err := os.CreateTemp("", "hookscope-"+id+"-*"+ext)
	if err != nil {
		return "", errors.New("cannot create a file to edit: " + err.Error())
	}
	_, werr := f.Write(text)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
		return "", errors.New("cannot write the file to edit: " + werr.Error())
	}
	return f.Name(), nil
}

// Editor is $VISUAL, else $EDITOR, else vi.
func Editor() string {
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if ed := strings.TrimSpace(os.Getenv(v)); ed != "" {
			return ed
		}
	}
	return "vi"
}

// Command runs the editor on path. Through the shell, as git does, so
// EDITOR="code --wait" works and so does an editor whose path has spaces
// when it is quoted the way a shell reads it.
func Command(path string) *exec.Cmd {
	ed := Editor()
	if runtime.GOOS == "windows" {
		args := strings.Fields(ed)
		return exec.Command(args[0], append(args[1:], path)...)
	}
	return exec.Command("sh", "-c", ed+` "$1"`, "sh", path)
}

// Result reads what the person saved. cancelled says why nothing is to be
// sent ("" when something is): the file was left empty or unchanged.
// Otherwise body is the edit, compacted when the captured body was compact
// JSON, so the handler sees the shape the provider sends.
func Result(captured, original, saved []byte) (body []byte, cancelled string) {
	switch {
	case len(bytes.TrimSpace(saved)) == 0:
		return nil, "the file was left empty"
	case bytes.Equal(bytes.TrimSpace(saved), bytes.TrimSpace(original)):
		return nil, "the body was not changed"
	}
	return compactLike(captured, saved), ""
}

// compactLike compacts an edited JSON body when the captured one was
// compact, so the handler sees the shape VideoNest sends.
func compactLike(original, edited []byte) []byte {
	if bytes.ContainsAny(bytes.TrimSpace(original), "\n") || !json.Valid(edited) {
		return edited
	}
	var b bytes.Buffer
	if json.Compact(&b, edited) != nil {
		return edited
	}
	return b.Bytes()
}
