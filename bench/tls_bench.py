#!/usr/bin/python3
"""HTTPS benchmark: geventpp's async_primer (--tls-cert/--tls-key) beside nginx (one worker,
ssl_session_cache) and Go's ListenAndServeTLS (GOMAXPROCS=1), from the same run, all with the
same ECDSA P-256 certificate (made here) and TLS 1.3.

Each server is pinned to core 0 and the load to core 1; runs are interleaved, 3 rounds,
medians: keep-alive GET /hello with wrk -t1 -c64 (req/s, the server's CPU share, req/s per
server core, our ratios), then server RSS per idle TLS keep-alive connection with N of them
(each made one request over its own full handshake, then held).
Usage: tls_bench.py <build dir> [seconds per run] [idle connections]. Needs nginx-light,
golang-go, wrk (make bench installs them)."""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

from benchlib import go_binary, free_port, keepalive_report, held_growth, nginx_cmd, start_peer, stop

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SECONDS = sys.argv[2] if len(sys.argv) > 2 else "5"
IDLE = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="gevtlsbench-")
CERT, KEY = os.path.join(TMP, "server.crt"), os.path.join(TMP, "server.key")


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
}


def idle_run(name):
    """Server RSS growth per connection (KiB) with IDLE TLS 1.3 connections held, each after its
    own full handshake and one request."""
    port = free_port()
    server = start_peer(SERVERS[name](port), port)
    context = ssl.create_default_context(cafile=CERT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        return held_growth(server, lambda: context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                                                               server_hostname="localhost"), IDLE)
    finally:
        stop(server)


def main():
    make_certificate()
    needs = {"nginx (1 worker)": "nginx", "Go net/http": "go"}
    names = [n for n in SERVERS if n not in needs or shutil.which(needs[n])]
    keepalive_report({n: SERVERS[n] for n in names}, "https://127.0.0.1:{port}/hello", SECONDS,
                     f"wrk -t1 -c64 -d{SECONDS}s keep-alive HTTPS GET /hello (TLS 1.3, ECDSA P-256)")
    print(f"server RSS per idle TLS keep-alive connection, {IDLE:,} held, each after one request (lower is better):")
    idle = {n: idle_run(n) for n in names}
    for n in names:
        print(f"{n:18} {idle[n]:6.1f} KiB" + ("" if n == "geventpp" else f"   geventpp / {n}: "
                                                 f"{idle['geventpp'] / max(idle[n], 0.01):.2f}x"))
    shutil.rmtree(TMP)


if __name__ == "__main__":
    main()
