package list

import "github.com/hookscope/hookscope/inspect"

// Filter is what `/` typed. It is inspect's, so the web inspector reads
// the same syntax with the same parser.
type Filter = inspect.Filter

// ParseFilter reads `event:video.* sig:invalid status:500 free text`.
var ParseFilter = inspect.ParseFilter
