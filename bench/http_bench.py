#!/usr/bin/python3
"""HTTP benchmark: geventpp's async_primer beside nginx (one worker), Go net/http
(GOMAXPROCS=1) and gevent pywsgi+Bottle, from the same run.

Each server is pinned to core 0 and wrk (-t1 -c64, keep-alive, GET /hello) to core 1; the
servers' runs are interleaved, 3 rounds, medians reported: req/s, p99, the server's CPU share,
req/s per server core, and our ratios. Then ab -k -c50 and httperf against each (errors must be
0), server RSS per idle keep-alive connection with 10,000 of them (each made one request), and
1,000 concurrent /stream clients against ours (bench/stream_load.c).
Usage: http_bench.py <build dir> [seconds per run]. Needs nginx-light, golang-go, python3-gevent,
python3-bottle, wrk, apache2-utils, httperf (make bench installs them)."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

from benchlib import go_binary, free_port, keepalive_report, held_growth, nginx_cmd, start_peer, stop

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SECONDS = sys.argv[2] if len(sys.argv) > 2 else "5"
HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="gevbench-")


def go_cmd(port):
    return [go_binary(os.path.join(HERE, "hello_go.go"), TMP), str(port)]


SERVERS = {
    "geventpp": lambda port: [os.path.join(BUILD, "samples/async_primer"), "--port", str(port), "--quiet"],
    "nginx (1 worker)": lambda port: nginx_cmd(TMP, port),
    "Go net/http": go_cmd,
    "gevent pywsgi": lambda port: ["/usr/bin/python3", os.path.join(HERE, "hello_gevent.py"), str(port)],
    "C epoll (limit)": lambda port: [os.path.join(BUILD, "bench/hello_epoll"), str(port)],
}


def idle_run(name, conns=10000):
    port = free_port()
    server = start_peer(SERVERS[name](port), port)
    try:
        return held_growth(server, lambda: socket.create_connection(("127.0.0.1", port)), conns)
    finally:
        stop(server)


def stream_run(clients=1000):
    """1,000 GET /stream at once (bench/stream_load.c, C, epoll): (seconds from the first request
    sent to the last END, the longest any one client waited from sending its request to its
    END)."""
    port = free_port()
    server = start_peer(SERVERS["geventpp"](port), port)
    try:
        out = subprocess.run(["taskset", "-c", "1", os.path.join(BUILD, "bench/stream_load"), str(port), str(clients)],
                             capture_output=True, text=True, check=True, timeout=90).stdout
        span, longest = map(float, out.split())
        return span, longest
    finally:
        stop(server)


def main():
    needs = {"nginx (1 worker)": "nginx", "Go net/http": "go", "gevent pywsgi": "/usr/bin/python3"}
    names = [n for n in SERVERS if n not in needs or shutil.which(needs[n])]
    keepalive_report({n: SERVERS[n] for n in names}, "http://127.0.0.1:{port}/hello", SECONDS,
                     f"wrk -t1 -c64 -d{SECONDS}s keep-alive GET /hello")
    print("ab -k -n 100000 -c 50 and httperf --num-conns 500 --num-calls 20 (new connections), same pinning:")
    for n in names:
        if n in ("gevent pywsgi", "C epoll (limit)"):
            continue  # gevent: 100,000 requests would take a minute; the C limit speaks no HTTP/1.0 keep-alive

        port = free_port()
        server = start_peer(SERVERS[n](port), port)
        try:
            ab = subprocess.run(["taskset", "-c", "1", "ab", "-k", "-n", "100000", "-c", "50",
                                 f"http://127.0.0.1:{port}/hello"], capture_output=True, text=True).stdout
            hp = subprocess.run(["taskset", "-c", "1", "httperf", "--server", "127.0.0.1", "--port", str(port), "--uri",
                                 "/hello", "--num-conns", "500", "--num-calls", "20"], capture_output=True,
                                text=True).stdout
            ab_rate = float(re.search(r"Requests per second:\s+([\d.]+)", ab).group(1))
            ab_failed = re.search(r"Failed requests:\s+(\d+)", ab).group(1)
            hp_rate = float(re.search(r"Request rate: ([\d.]+)", hp).group(1))
            hp_errors = re.search(r"Errors: total (\d+)", hp).group(1)
            print(f"{n:18} ab -k {ab_rate:9.0f} req/s, failed {ab_failed}; httperf {hp_rate:8.0f} req/s, errors {hp_errors}")
        finally:
            stop(server)
    print()
    print("idle keep-alive connections: server RSS growth per connection, 10,000 held open after one request")
    for n in names:
        if n not in ("gevent pywsgi", "C epoll (limit)"):
            print(f"{n:18} {idle_run(n):6.2f} KiB")
    print()
    overall, longest = stream_run()
    print(f"1,000 concurrent /stream clients on one hub: last END {overall:.2f} s after the first request; "
          f"longest wait of one client {longest:.2f} s (the handler sleeps 8 s)")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
