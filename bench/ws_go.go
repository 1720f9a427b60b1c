// Go peer for bench/ws_bench.py: gorilla/websocket echo on /echo (Debian's
// golang-github-gorilla-websocket-dev), run with GOMAXPROCS=1.
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
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
