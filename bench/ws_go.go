// Go peer for bench/ws_bench.py and bench/tls_bench.py: gorilla/websocket echo on /echo
// (Debian's golang-github-gorilla-websocket-dev), run with GOMAXPROCS=1.
// Usage: ws_go <port> [<cert> <key>] (with a certificate and key: ListenAndServeTLS, wss://).
package main

import (
	"net/http"
	"os"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	for {
		kind, message, err := c.ReadMessage()
		if err != nil {
			return
		}
		if c.WriteMessage(kind, message) != nil {
			return
		}
	}
}

func main() {
	http.HandleFunc("/echo", echo)
	address := "127.0.0.1:" + os.Args[1]
	if len(os.Args) > 3 {
		http.ListenAndServeTLS(address, os.Args[2], os.Args[3], nil)
	} else {
		http.ListenAndServe(address, nil)
	}
}
