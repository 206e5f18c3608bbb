package tui

import (
	"os/exec"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/tui/components/footer"
)

// arrivalsMsg is one batch of engine events: however fast webhooks come,
// the UI takes them a batch at a time.
type arrivalsMsg struct {
	events  []inspect.Event
	dropped int       // events the queue had no room for
	at      time.Time // when the batch was drained, for pacing the next
}

// healthTickMsg starts the next probe of the forward target.
type healthTickMsg struct{}

// statusMsg puts a message in the footer.
type statusMsg struct {
	level footer.Level
	text  string
}

// replayDoneMsg is a replay's outcome.
type replayDoneMsg struct {
	id      string
	rec     inspect.Record // for the list row (no body)
	attempt *inspect.Attempt
	err     error
	edited  bool
}

// editReadyMsg: the body is in a temp file, ready for the editor.
type editReadyMsg struct {
	id       string
	rec      inspect.Record
	captured []byte // the body as captured: an edit of compact JSON is compacted back
	path     string
	original []byte
	editor   *exec.Cmd // built off the UI goroutine: finding the editor reads the disk
}

// editDoneMsg: the editor exited.
type editDoneMsg struct {
	editReadyMsg
	err error
}
