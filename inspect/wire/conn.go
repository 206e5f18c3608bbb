package wire

import (
	"context"
	"io"
	"net"
)

// WrapListener wraps l so each accepted net.Conn records the raw header block
// of every HTTP/1.x request read from it. Pair it with ConnContext in
// http.Server.ConnContext. It must sit below any TLS layer (it needs the
// plaintext bytes); on anything that does not look like HTTP/1.x it stops
// tracking and Headers reports ok=false.
func WrapListener(l net.Listener) net.Listener {
	return listener{l}
}

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, t: &tracker{}}, nil
}

type conn struct {
	net.Conn
	t *tracker
}

// Read feeds every byte the server consumes into the framing state machine:
// the server reads the connection strictly in order, so mirroring its reads
// mirrors its parse.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.t.feed(p[:n])
	}
	return n, err
}

// CloseWrite is passed through because net/http half-closes TCP connections
// before dropping them (to avoid an RST eating the response) only when the
// conn implements it.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps the sendfile/splice fast path of *net.TCPConn reachable for
// responses; it only touches the write side, so tracking is unaffected.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// NetConn exposes the wrapped conn, mirroring (*tls.Conn).NetConn.
func (c *conn) NetConn() net.Conn { return c.Conn }

type ctxKey struct{}

// ConnContext is for http.Server.ConnContext: it attaches the wrapped conn's
// tracker to the context (no-op for conns not from WrapListener).
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if wc, ok := c.(*conn); ok {
		return context.WithValue(ctx, ctxKey{}, wc.t)
	}
	return ctx
}
