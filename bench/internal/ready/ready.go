// Package ready is how bench's servers start and tell the driver where
// they listen: the address goes to a file, atomically, once the listener
// is up.
package ready

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
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

// Serve listens on addr, publishes the address at addrFile and serves h
// until SIGINT or SIGTERM, with the timeouts every bench baseline uses.
func Serve(addr, addrFile string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	if err := WriteAddr(addrFile, ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	// Registered before serving, so a stop sent right after the address
	// appears is not lost.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
