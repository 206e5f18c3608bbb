package inspect

import (
	"time"

	"github.com/hookscope/hookscope/inspect/signature"
)

// Query selects records for list views, in every front end and command.
// Zero values mean "no filter".
type Query struct {
	Limit     int
	Before    string // only ids older than this (paging, newest first)
	After     string // only ids newer than this (tailing)
	Event     string // exact, or a glob with * (video.*)
	Signature signature.Status
	Since     time.Time
	Text      string // substring of path, event or id
	Oldest    bool   // order oldest first (used with After)
}
