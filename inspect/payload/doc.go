// Package payload owns what hookscope knows about a captured request body
// as bytes: what kind of body it is and which VideoNest envelope fields it
// carries (Decode), how it is shown to a human (Pretty, Highlight), how
// network-supplied text is made safe for a terminal (Sanitize), how one
// field is edited before a replay (Set), and the size units used for body
// limits (HumanSize, ParseSize).
//
// It knows nothing of HTTP, storage or the terminal UI: it takes bytes and
// returns bytes or strings, so the capture path, the plain-text commands and
// the TUI all agree on what a body looks like.
package payload
