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
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import go_binary, load_run, free_port, rss_kib, start_pinned, stop

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SECONDS = sys.argv[2] if len(sys.argv) > 2 else "5"
HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="gevbench-")


def nginx_cmd(port):
    conf = os.path.join(TMP, f"nginx-{port}.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; daemon off; pid {TMP}/nginx-{port}.pid; error_log {TMP}/nginx-error.log;
events {{ worker_connections 20000; }}
http {{ access_log off; keepalive_requests 10000000; keepalive_timeout 60s;
  client_body_temp_path {TMP}; proxy_temp_path {TMP}; fastcgi_temp_path {TMP}; uwsgi_temp_path {TMP}; scgi_temp_path {TMP};
  server {{ listen 127.0.0.1:{port}; location /hello {{ default_type text/plain; return 200 "Hello, World!"; }} }} }}
""")
    return ["nginx", "-c", conf, "-p", TMP]


def go_cmd(port):
    return [go_binary(os.path.join(HERE, "hello_go.go"), TMP), str(port)]


SERVERS = {
    "geventpp": lambda port: [os.path.join(BUILD, "samples/async_primer"), "--port", str(port), "--quiet"],
    "nginx (1 worker)": nginx_cmd,
    "Go net/http": go_cmd,
    "gevent pywsgi": lambda port: ["/usr/bin/python3", os.path.join(HERE, "hello_gevent.py"), str(port)],
    "C epoll (limit)": lambda port: [os.path.join(BUILD, "bench/hello_epoll"), str(port)],
}


def start(name, port):
    return start_pinned(SERVERS[name](port), port, env={**os.environ, "GOMAXPROCS": "1"})


def wrk_run(name):
    port = free_port()
    server = start(name, port)
    try:
        subprocess.run(["wrk", "-t1", "-c64", "-d1s", f"http://127.0.0.1:{port}/hello"], capture_output=True)  # warm
        out, share = load_run(server, ["wrk", "-t1", "-c64", f"-d{SECONDS}s", "--latency",
                                       f"http://127.0.0.1:{port}/hello"])
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
        p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors", out)
        return rate, p99_ms, share, bool(errors)
    finally:
        stop(server)


def idle_run(name, conns=10000):
    port = free_port()
    server = start(name, port)
    try:
        time.sleep(0.3)
        before = rss_kib(server)
        socks = []
        for _ in range(conns):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            socks.append(s)
        for s in socks:
            s.recv(4096)
        time.sleep(1.0)
        after = rss_kib(server)
        for s in socks:
            s.close()
        return (after - before) / conns
    finally:
        stop(server)


def stream_run(clients=1000):
    """1,000 GET /stream at once (bench/stream_load.c, C, epoll): (seconds from the first request
    sent to the last END, the longest any one client waited from sending its request to its
    END)."""
    port = free_port()
    server = start("geventpp", port)
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
    runs = {n: [] for n in names}
    for _ in range(3):
        for n in names:
            runs[n].append(wrk_run(n))
    med = {n: [statistics.median(r[i] for r in rs) for i in range(3)] + [any(r[3] for r in rs)]
           for n, rs in runs.items()}
    print(f"wrk -t1 -c64 -d{SECONDS}s keep-alive GET /hello; server on core 0, wrk on core 1; median of 3 interleaved")
    print(f"{'server':18} {'req/s':>9} {'p99 ms':>8} {'CPU':>5} {'req/s per core':>15}  errors")
    for n, (rate, p99, share, err) in med.items():
        print(f"{n:18} {rate:9.0f} {p99:8.2f} {share * 100:4.0f}% {rate / max(share, 0.01):15.0f}  {'YES' if err else 'no'}")
    ours = med["geventpp"]
    for n in names[1:]:
        peer = med[n]
        print(f"geventpp / {n}: {ours[0] / peer[0]:.2f}x req/s, "
              f"{(ours[0] / max(ours[2], 0.01)) / (peer[0] / max(peer[2], 0.01)):.2f}x per server core")
    print()
    print("ab -k -n 100000 -c 50 and httperf --num-conns 500 --num-calls 20 (new connections), same pinning:")
    for n in names:
        if n in ("gevent pywsgi", "C epoll (limit)"):
            continue  # gevent: 100,000 requests would take a minute; the C limit speaks no HTTP/1.0 keep-alive

        port = free_port()
        server = start(n, port)
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
