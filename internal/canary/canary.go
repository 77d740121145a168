// Package canary is a loopback listener for the tests that show code reaches
// no network: it records every contact made to it, over TCP and UDP.
package canary

import (
	"io"
	"net"
	"sync"
	"time"
)

// Canary records contacts on a TCP and a UDP port of 127.0.0.1. It answers
// a TCP contact as an HTTP server would, with an empty 200 that any origin
// may read, so that a request that does get through looks like a success.
type Canary struct {
	tcp net.Listener
	udp net.PacketConn
	mu  sync.Mutex
	log []string
}

// New starts a canary; Close stops it.
func New() (*Canary, error) {
	c := &Canary{}
	var err error
	if c.tcp, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	if c.udp, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
		c.tcp.Close()
		return nil, err
	}
	go func() {
		for {
			conn, err := c.tcp.Accept()
			if err != nil {
				return
			}
			c.record("tcp from " + conn.RemoteAddr().String())
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(2 * time.Second))
				conn.Read(make([]byte, 4096))
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nAccess-Control-Allow-Origin: *\r\n\r\n")
			}()
		}
	}()
	go func() {
		buf := make([]byte, 2048)
		for {
			_, addr, err := c.udp.ReadFrom(buf)
			if err != nil {
				return
			}
			c.record("udp from " + addr.String())
		}
	}()
	return c, nil
}

func (c *Canary) record(s string) {
	c.mu.Lock()
	c.log = append(c.log, s)
	c.mu.Unlock()
}

// URL is the canary's TCP port as an http:// URL.
func (c *Canary) URL() string { return "http://" + c.tcp.Addr().String() }

// TCPPort is the canary's TCP port.
func (c *Canary) TCPPort() string { return port(c.tcp.Addr()) }

// UDPPort is the canary's UDP port.
func (c *Canary) UDPPort() string { return port(c.udp.LocalAddr()) }

func port(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// Take returns and forgets what the canary recorded.
func (c *Canary) Take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.log
	c.log = nil
	return l
}

// Close stops the canary.
func (c *Canary) Close() {
	c.tcp.Close()
	c.udp.Close()
}
