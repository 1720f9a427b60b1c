// Go net/http peer for bench/http_bench.py and bench/tls_bench.py: GET /hello -> "Hello, World!".
// Usage: hello_go <port> [<cert> <key>] (with a certificate and key: ListenAndServeTLS).
package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, World!"))
	})
	address := "127.0.0.1:" + os.Args[1]
	if len(os.Args) > 3 {
		http.ListenAndServeTLS(address, os.Args[2], os.Args[3], nil)
	} else {
		http.ListenAndServe(address, nil)
	}
}
