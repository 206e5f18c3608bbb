package inspect

import "github.com/hookscope/hookscope/inspect/wire"

// Header is one header line as it arrived: original name casing and order
// are kept so `show` displays what the sender really sent.
type Header = wire.Field
