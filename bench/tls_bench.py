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
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import go_binary, load_run, free_port, rss_kib, start_pinned, stop

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


def nginx_cmd(port):
    conf = os.path.join(TMP, f"nginx-{port}.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; daemon off; pid {TMP}/nginx-{port}.pid; error_log {TMP}/nginx-error.log;
events {{ worker_connections 20000; }}
http {{ access_log off; keepalive_requests 10000000; keepalive_timeout 60s;
  client_body_temp_path {TMP}; proxy_temp_path {TMP}; fastcgi_temp_path {TMP}; uwsgi_temp_path {TMP}; scgi_temp_path {TMP};
  ssl_protocols TLSv1.3; ssl_session_cache shared:SSL:10m; ssl_certificate {CERT}; ssl_certificate_key {KEY};
  server {{ listen 127.0.0.1:{port} ssl; location /hello {{ default_type text/plain; return 200 "Hello, World!"; }} }} }}
""")
    return ["nginx", "-c", conf, "-p", TMP]


SERVERS = {
    "geventpp": lambda port: [os.path.join(BUILD, "samples/async_primer"), "--port", str(port), "--quiet",
                              "--tls-cert", CERT, "--tls-key", KEY],
    "nginx (1 worker)": nginx_cmd,
    "Go net/http": lambda port: [go_binary(os.path.join(HERE, "hello_go.go"), TMP), str(port), CERT, KEY],
}


def start(name, port):
    return start_pinned(SERVERS[name](port), port, env={**os.environ, "GOMAXPROCS": "1"})


def wrk_run(name):
    port = free_port()
    server = start(name, port)
    try:
        url = f"https://127.0.0.1:{port}/hello"
        subprocess.run(["wrk", "-t1", "-c64", "-d1s", url], capture_output=True)  # warm
        out, share = load_run(server, ["wrk", "-t1", "-c64", f"-d{SECONDS}s", url])
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors", out)
        return rate, share, bool(errors)
    finally:
        stop(server)


def idle_run(name):
    """Server RSS growth per connection (KiB) while IDLE TLS connections, each after one
    request, are held open by this process (pinned to core 1 for the run)."""
    port = free_port()
    server = start(name, port)
    os.sched_setaffinity(0, {1})
    context = ssl.create_default_context(cafile=CERT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        time.sleep(0.3)
        before = rss_kib(server)
        socks = []
        for _ in range(IDLE):
            s = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="localhost")
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            s.recv(4096)
            socks.append(s)
        time.sleep(1.5)
        after = rss_kib(server)
        for s in socks:
            s.close()
        return (after - before) / IDLE
    finally:
        os.sched_setaffinity(0, {0, 1})
        stop(server)


def main():
    make_certificate()
    needs = {"nginx (1 worker)": "nginx", "Go net/http": "go"}
    names = [n for n in SERVERS if n not in needs or shutil.which(needs[n])]
    runs = {n: [] for n in names}
    for _ in range(3):
        for n in names:
            runs[n].append(wrk_run(n))
    med = {n: [statistics.median(r[i] for r in rs) for i in range(2)] + [any(r[2] for r in rs)]
           for n, rs in runs.items()}
    print(f"wrk -t1 -c64 -d{SECONDS}s keep-alive HTTPS GET /hello (TLS 1.3, ECDSA P-256); server on core 0, "
          "wrk on core 1; median of 3 interleaved")
    print(f"{'server':18} {'req/s':>9} {'CPU':>5} {'req/s per core':>15}  errors")
    for n, (rate, share, err) in med.items():
        print(f"{n:18} {rate:9.0f} {share * 100:4.0f}% {rate / max(share, 0.01):15.0f}  {'YES' if err else 'no'}")
    ours = med["geventpp"]
    for n in names[1:]:
        peer = med[n]
        print(f"geventpp / {n}: {ours[0] / peer[0]:.2f}x req/s, "
              f"{(ours[0] / max(ours[1], 0.01)) / (peer[0] / max(peer[1], 0.01)):.2f}x per server core")
    print()
    print(f"server RSS per idle TLS keep-alive connection, {IDLE:,} held, each after one request (lower is better):")
    idle = {n: idle_run(n) for n in names}
    for n in names:
        print(f"{n:18} {idle[n]:6.1f} KiB" + ("" if n == "geventpp" else f"   geventpp / {n}: "
                                                 f"{idle['geventpp'] / max(idle[n], 0.01):.2f}x"))
    shutil.rmtree(TMP)


if __name__ == "__main__":
    main()
