#!/usr/bin/python3
"""HTTPS and WSS benchmark: geventpp's async_primer (--tls-cert/--tls-key) beside nginx (one
worker, ssl_session_cache), Go's ListenAndServeTLS (GOMAXPROCS=1) and the floor, bare C epoll
servers on OpenSSL that do only what any server must (bench/hello_epoll.c and ws_epoll.c given a
certificate), from the same run, all with the same ECDSA P-256 certificate (made here), TLS 1.3
and cipher (TLS_AES_128_GCM_SHA256, X25519).

Each server is pinned to core 0 and the load to core 1; runs are interleaved, 3 rounds,
medians, each with the server's CPU share, the rate per server core and our ratios:
- keep-alive GET /hello with wrk -t1 -c64 (req/s);
- new connections (bench/tls_load.go, 32 at a time: handshake, GET /hello, close), with full
  handshakes and then with TLS 1.3 session resumption (the fraction resumed is printed);
- WSS echo against Go's gorilla/websocket and the floor (bench/echo_load.c over TLS: 64
  connections, 32-byte messages);
then server RSS per idle TLS keep-alive connection with N of them (each made one request over
its own full handshake, then held).
Usage: tls_bench.py <build dir> [seconds per run] [idle connections]. Needs nginx-light,
golang-go, golang-github-gorilla-websocket-dev, wrk (make bench installs them)."""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

from benchlib import (go_binary, free_port, held_growth, interleaved, keepalive_report, load_run, nginx_cmd, rate_table,
                      start_peer, stop)

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SECONDS = sys.argv[2] if len(sys.argv) > 2 else "5"
IDLE = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="gevtlsbench-")
CERT, KEY = os.path.join(TMP, "server.crt"), os.path.join(TMP, "server.key")


def same_cipher():
    """Every process this bench starts negotiates TLS_AES_128_GCM_SHA256 and X25519: an OpenSSL
    config for the OpenSSL servers and clients (their defaults differ: geventpp prefers its own
    order, as Python does, nginx and the floor the client's), and what Go's server picks anyway
    with AES hardware."""
    conf = os.path.join(TMP, "openssl.cnf")
    with open(conf, "w") as f:
        f.write("openssl_conf = conf\n[conf]\nssl_conf = ssl\n[ssl]\nsystem_default = tls\n"
                "[tls]\nCiphersuites = TLS_AES_128_GCM_SHA256\nGroups = X25519\n")
    os.environ["OPENSSL_CONF"] = conf


def make_certificate():
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", KEY, "-out", CERT, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)


SERVERS = {
    "geventpp": lambda port: [os.path.join(BUILD, "samples/async_primer"), "--port", str(port), "--quiet",
                              "--tls-cert", CERT, "--tls-key", KEY],
    "nginx (1 worker)": lambda port: nginx_cmd(TMP, port, ssl=f"ssl_protocols TLSv1.3; ssl_session_cache shared:SSL:10m; "
                                                         f"ssl_certificate {CERT}; ssl_certificate_key {KEY};"),
    "Go net/http": lambda port: [go_binary(os.path.join(HERE, "hello_go.go"), TMP), str(port), CERT, KEY],
    "C OpenSSL (floor)": lambda port: [os.path.join(BUILD, "bench/hello_epoll"), str(port), CERT, KEY],
}
WSS_SERVERS = {
    "geventpp": SERVERS["geventpp"],
    "Go gorilla": lambda port: [go_binary(os.path.join(HERE, "ws_go.go"), TMP), str(port), CERT, KEY],
    "C OpenSSL (floor)": lambda port: [os.path.join(BUILD, "bench/ws_epoll"), str(port), CERT, KEY],
}


def new_connections(resume):
    """The measure for interleaved: tls_load for SECONDS after a 1 s warm-up: (connections/s,
    the server's CPU share, the fraction of handshakes resumed)."""
    def measure(server, port):
        load = [go_binary(os.path.join(HERE, "tls_load.go"), TMP), str(port), "32"]
        subprocess.run([*load, "1", str(resume)], capture_output=True, check=True)
        out, share = load_run(server, [*load, SECONDS, str(resume)])
        rate, resumed = map(float, out.split())
        return rate, share, resumed
    return measure


def wss_echo(server, port):
    """The measure for interleaved: echo_load over wss:// for SECONDS after a 1 s warm-up:
    (messages/s, the server's CPU share, p99 round trip in ms)."""
    load = [os.path.join(BUILD, "bench/echo_load"), str(port), "64"]
    subprocess.run([*load, "1", "32", "0", "1", "1"], capture_output=True, check=True)
    out, share = load_run(server, [*load, SECONDS, "32", "0", "1", "1"])
    rate, p99 = map(float, out.split())
    return rate, share, p99


def idle_run(name):
    """Server RSS growth per connection (KiB) with IDLE TLS 1.3 connections held, each after its
    own full handshake and one request."""
    port = free_port()
    server = start_peer(SERVERS[name](port), port)
    context = ssl.create_default_context(cafile=CERT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3

    def connect():
        # TCP_NODELAY: the client's Finished and its request are two small writes, and Nagle
        # would hold the second for a delayed ACK (40 ms a connection against Go).
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return context.wrap_socket(raw, server_hostname="localhost")

    try:
        return held_growth(server, connect, IDLE)
    finally:
        stop(server)


def main():
    make_certificate()
    same_cipher()
    needs = {"nginx (1 worker)": "nginx", "Go net/http": "go"}
    names = [n for n in SERVERS if n not in needs or shutil.which(needs[n])]
    servers = {n: SERVERS[n] for n in names}
    keepalive_report(servers, "https://127.0.0.1:{port}/hello", SECONDS,
                     f"wrk -t1 -c64 -d{SECONDS}s keep-alive HTTPS GET /hello (TLS 1.3, ECDSA P-256)")
    if shutil.which("go"):  # the new-connection load and the WSS peer are Go programs
        for resume, kind in ((0, "full handshakes"), (1, "TLS 1.3 resumption")):
            rate_table(f"new TLS connections/s, {kind}: tls_load, 32 at a time, each a handshake, GET /hello and "
                       f"close; {SECONDS} s a run, median of 3 interleaved", interleaved(servers, new_connections(resume)),
                       "conns/s", [("resumed", ".2f")])
        rate_table(f"WSS echo: echo_load over TLS, 64 connections, 32-byte text messages; {SECONDS} s a run, "
                   "median of 3 interleaved", interleaved(WSS_SERVERS, wss_echo), "msgs/s", [("p99 ms", ".3f")])
    print(f"server RSS per idle TLS keep-alive connection, {IDLE:,} held, each after one request (lower is better):")
    idle = {n: idle_run(n) for n in names}
    for n in names:
        print(f"{n:18} {idle[n]:6.1f} KiB" + ("" if n == "geventpp" else f"   geventpp / {n}: "
                                                 f"{idle['geventpp'] / max(idle[n], 0.01):.2f}x"))
    shutil.rmtree(TMP)


if __name__ == "__main__":
    main()
