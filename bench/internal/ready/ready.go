// Package ready is how bench's servers tell the driver where they listen:
// the address goes to a file, atomically, once the listener is up.
package ready

import (
	"fmt"
	"os"
)

// WriteAddr publishes addr at path (stdout when path is empty) through a
// rename, so the driver never reads half an address.
func WriteAddr(path, addr string) error {
	if path == "" {
		fmt.Println(addr)
		return nil
	}
	if err := os.WriteFile(path+".tmp", []byte(addr), 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
