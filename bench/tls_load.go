// Load generator for bench/tls_bench.py's new-connection runs: N goroutines, each connecting,
// doing a TLS 1.3 handshake (SNI "localhost", no verification, as wrk), sending GET /hello with
// Connection: close, reading the response to its end ("Hello, World!"), then closing (close_notify,
// then a reset: SO_LINGER 0 leaves no TIME_WAIT, so ports last the run), over and over for D
// seconds; each lets its connection under way finish. With resume=1 each goroutine keeps the
// ticket its last connection got and offers it, so all but its first handshake are TLS 1.3
// resumptions if the server agrees. Go's client, not OpenSSL's: Debian's OpenSSL 3.0 spends about
// as long on a client's full handshake as on a server's, and the load must not be the bottleneck.
// Prints connections per second and the fraction of handshakes the server resumed; exits 1 on any
// failed connection, handshake or response. Run with GOMAXPROCS=1.
// Usage: tls_load <port> <connections> <seconds> [resume]
package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var request = []byte("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
var body = []byte("Hello, World!")

func fail(what string, err error) {
	fmt.Fprintln(os.Stderr, "tls_load:", what, err)
	os.Exit(1)
}

// One connection: handshake, request, the whole response; whether the server resumed.
func fetch(address string, config *tls.Config, buf []byte) bool {
	raw, err := net.Dial("tcp", address)
	if err != nil {
		fail("connect", err)
	}
	raw.(*net.TCPConn).SetLinger(0)
	c := tls.Client(raw, config)
	defer c.Close()
	if _, err := c.Write(request); err != nil {
		fail("handshake or request", err)
	}
	got := 0
	for !bytes.HasSuffix(buf[:got], body) {
		if got == len(buf) {
			fail("response", fmt.Errorf("longer than %d bytes", len(buf)))
		}
		n, err := c.Read(buf[got:])
		got += n
		if err != nil && !bytes.HasSuffix(buf[:got], body) {
			fail("response", err)
		}
	}
	if !bytes.HasPrefix(buf, []byte("HTTP/1.1 200")) {
		fail("response", fmt.Errorf("status %q", buf[:12]))
	}
	return c.ConnectionState().DidResume
}

func main() {
	if len(os.Args) < 4 {
		os.Exit(2)
	}
	address := "127.0.0.1:" + os.Args[1]
	conns, _ := strconv.Atoi(os.Args[2])
	seconds, _ := strconv.ParseFloat(os.Args[3], 64)
	resume := len(os.Args) > 4 && os.Args[4] == "1"
	var done, resumed int64
	start := time.Now()
	end := start.Add(time.Duration(seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			config := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", MinVersion: tls.VersionTLS13}
			if resume {
				config.ClientSessionCache = tls.NewLRUClientSessionCache(1)
			}
			buf := make([]byte, 1024)
			for time.Now().Before(end) {
				if fetch(address, config, buf) {
					atomic.AddInt64(&resumed, 1)
				}
				atomic.AddInt64(&done, 1)
			}
		}()
	}
	wg.Wait()
	if done == 0 {
		fail("run", fmt.Errorf("no connection finished"))
	}
	fmt.Printf("%.0f %.3f\n", float64(done)/time.Since(start).Seconds(), float64(resumed)/float64(done))
}
