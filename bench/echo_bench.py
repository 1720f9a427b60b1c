#!/usr/bin/python3
"""Echo benchmark: geventpp vs a plain Asio callback server vs a minimal C epoll server.

Server pinned to core 0, load generator (echo_load, C, epoll) to core 1; the servers' runs are
interleaved, 3 rounds, medians reported. Prints round trips/s, p99, the server's CPU share and
round trips per server core, and our ratios. Then RSS per idle connection with 10,000 idle
connections held open.
Usage: echo_bench.py <build dir> [seconds per run]"""
import os
import statistics
import sys

from benchlib import free_port, idle_growth, load_run, start_pinned, stop

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 5
CONNS, SIZE, ROUNDS = 64, 64, 3
SERVERS = {"geventpp": "bench/echo_gev", "asio callbacks": "bench/echo_asio", "C epoll (limit)": "bench/echo_epoll"}


def start(binary, port):
    return start_pinned([os.path.join(BUILD, binary), str(port)], port)


def throughput_run(binary):
    port = free_port()
    server = start(binary, port)
    try:
        out, share = load_run(server, [os.path.join(BUILD, "bench/echo_load"), str(port), str(CONNS), str(SECONDS),
                                       str(SIZE)])
        rate, p99 = map(float, out.split())
        return rate, p99, share
    finally:
        stop(server)


def idle_run(binary, conns=10000):
    port = free_port()
    server = start(binary, port)
    try:
        return idle_growth(server, [os.path.join(BUILD, "bench/echo_load"), str(port), str(conns), "0", "0", "1"],
                           conns)
    finally:
        stop(server)


def main():
    results = {name: [] for name in SERVERS}
    for _ in range(ROUNDS):
        for name, binary in SERVERS.items():
            results[name].append(throughput_run(binary))
    med = {name: tuple(statistics.median(r[i] for r in runs) for i in range(3)) for name, runs in results.items()}
    print(f"echo: {CONNS} connections, {SIZE}-byte messages, {SECONDS:g} s a run, median of {ROUNDS} interleaved runs")
    print(f"{'server':18} {'round trips/s':>14} {'p99 ms':>8} {'server CPU':>11} {'per server core':>16}")
    for name, (rate, p99, share) in med.items():
        print(f"{name:18} {rate:14.0f} {p99:8.3f} {share * 100:10.0f}% {rate / max(share, 0.01):16.0f}")
    ours = med["geventpp"]
    for name in ("asio callbacks", "C epoll (limit)"):
        peer = med[name]
        print(f"geventpp / {name}: {ours[0] / peer[0]:.2f}x round trips/s, "
              f"{(ours[0] / max(ours[2], 0.01)) / (peer[0] / max(peer[2], 0.01)):.2f}x per server core")
    print()
    print("idle connections: server RSS growth per connection, 10,000 held open")
    for name in ("geventpp", "C epoll (limit)"):
        print(f"{name:18} {idle_run(SERVERS[name]):6.2f} KiB")


if __name__ == "__main__":
    main()
