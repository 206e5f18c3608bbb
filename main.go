// Command hookscope captures, inspects, forwards and replays VideoNest
// webhooks on a developer's machine.
package main

import (
	"os"

	"github.com/hookscope/hookscope/cmd"
)

func main() { os.Exit(cmd.Main()) }
