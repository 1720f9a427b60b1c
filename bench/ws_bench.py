#!/usr/bin/python3
"""WebSocket benchmark: geventpp's async_primer /echo beside Go with gorilla/websocket
(GOMAXPROCS=1), Node's ws and gevent-websocket, from the same run.

Each server is pinned to core 0 and echo_load in WebSocket mode (C, epoll: 64 connections, each sending a 32-byte
text message and waiting for its echo) to core 1; the servers' runs are interleaved, 3 rounds,
medians reported: messages/s, p99 round trip, the server's CPU share, messages/s per server
core, and our ratios. "C epoll (limit)" (bench/ws_epoll.c) does only what any WebSocket echo
must do per message: the ceiling this machine's kernel sets. Then server RSS per idle WebSocket
connection with 10,000 of them open (servers only).
Usage: ws_bench.py <build dir> [seconds per run]. Needs golang-go,
golang-github-gorilla-websocket-dev, node-ws, python3-gevent-websocket (make bench installs them)."""
import os
import statistics
import subprocess
import sys
import tempfile

from benchlib import go_binary, free_port, idle_growth, load_run, start_pinned, stop

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SECONDS = sys.argv[2] if len(sys.argv) > 2 else "5"
HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="gevbench-")
CONNS, SIZE, ROUNDS = 64, 32, 3


def go_cmd(port):
    return [go_binary(os.path.join(HERE, "ws_go.go"), TMP), str(port)]


SERVERS = {
    "geventpp": lambda port: [os.path.join(BUILD, "samples/async_primer"), "--port", str(port), "--quiet"],
    "Go gorilla": go_cmd,
    "Node ws": lambda port: ["node", os.path.join(HERE, "ws_node.js"), str(port)],
    "gevent-websocket": lambda port: ["/usr/bin/python3", os.path.join(HERE, "ws_gevent.py"), str(port)],
    "C epoll (limit)": lambda port: [os.path.join(BUILD, "bench/ws_epoll"), str(port)],
}
LIMIT = "C epoll (limit)"


def start(name, port):
    return start_pinned(SERVERS[name](port), port, env={**os.environ, "GOMAXPROCS": "1"})


def load(port, *args):
    return [os.path.join(BUILD, "bench/echo_load"), str(port), *map(str, args)]


def echo_run(name):
    port = free_port()
    server = start(name, port)
    try:
        subprocess.run(load(port, CONNS, 1, SIZE, 0, 1), capture_output=True)  # warm up
        out, share = load_run(server, load(port, CONNS, SECONDS, SIZE, 0, 1))
        rate, p99 = map(float, out.split())
        return rate, p99, share
    finally:
        stop(server)


def idle_run(name, conns=10000):
    port = free_port()
    server = start(name, port)
    try:
        return idle_growth(server, load(port, conns, 0, SIZE, 1, 1), conns)
    finally:
        stop(server)


def main():
    results = {name: [] for name in SERVERS}
    for _ in range(ROUNDS):
        for name in SERVERS:
            results[name].append(echo_run(name))
    med = {name: tuple(statistics.median(r[i] for r in runs) for i in range(3)) for name, runs in results.items()}
    print(f"WebSocket echo: {CONNS} connections, {SIZE}-byte text messages, {SECONDS} s a run, "
          f"median of {ROUNDS} interleaved runs")
    print(f"{'server':18} {'messages/s':>11} {'p99 ms':>8} {'server CPU':>11} {'per server core':>16}")
    for name, (rate, p99, share) in med.items():
        print(f"{name:18} {rate:11.0f} {p99:8.3f} {share * 100:10.0f}% {rate / max(share, 0.01):16.0f}")
    ours = med["geventpp"]
    for name in SERVERS:
        if name == "geventpp":
            continue
        peer = med[name]
        print(f"geventpp / {name}: {ours[0] / peer[0]:.2f}x messages/s, "
              f"{(ours[0] / max(ours[2], 0.01)) / (peer[0] / max(peer[2], 0.01)):.2f}x per server core")
    print()
    print("idle WebSocket connections: server RSS growth per connection, 10,000 held open")
    for name in SERVERS:
        if name != LIMIT:
            print(f"{name:18} {idle_run(name):6.2f} KiB")


if __name__ == "__main__":
    main()
