#!/usr/bin/python3
"""Soak: async_primer under 1,000,000 keep-alive requests (ab -k) and 100,000 WebSocket
messages, in two rounds after a warm-up. After each round (and a pause for the stack pool's
trim) it prints the server's RSS and open descriptors; what a round leaves behind is growth that
would become a leak. Usage: soak.py <build dir> [requests] [messages]"""
import asyncio
import os
import subprocess
import sys
import time

import benchlib

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
MESSAGES = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000


def ab(port, n):
    out = subprocess.run(["taskset", "-c", "1", "ab", "-k", "-q", "-n", str(n), "-c", "50",
                          f"http://127.0.0.1:{port}/hello"], capture_output=True, text=True, check=True).stdout
    failed = int(next(l for l in out.splitlines() if l.startswith("Failed requests:")).split()[2])
    done = int(next(l for l in out.splitlines() if l.startswith("Complete requests:")).split()[2])
    assert done == n and failed == 0, out
    return float(next(l for l in out.splitlines() if l.startswith("Requests per second:")).split()[3])


async def ws_messages(port, n, conns=10):
    import websockets

    async def one(count):
        async with websockets.connect(f"ws://127.0.0.1:{port}/echo", compression=None) as ws:
            for i in range(count):
                await ws.send(f"message {i}")
                assert await ws.recv() == f"message {i}"

    await asyncio.gather(*(one(n // conns) for _ in range(conns)))


def state(proc):
    time.sleep(2.5)  # past the stack pool's 1 s trim period
    return benchlib.rss_kib(proc), len(os.listdir(f"/proc/{proc.pid}/fd"))


def main():
    port = benchlib.free_port()
    proc = benchlib.start_pinned([os.path.join(BUILD, "samples", "async_primer"), "--port", str(port), "--quiet"],
                                 port, core=0)
    try:
        ab(port, REQUESTS // 10)
        asyncio.run(ws_messages(port, MESSAGES // 10))
        rows = [("after warm-up", *state(proc), "", "")]
        for r in (1, 2):
            start = time.time()
            rate = ab(port, REQUESTS)
            asyncio.run(ws_messages(port, MESSAGES))
            rows.append((f"after round {r}", *state(proc), f"{rate:,.0f} req/s", f"{time.time() - start:.0f} s"))
        print(f"soak: async_primer, {REQUESTS:,} keep-alive requests (ab -k -c 50) + {MESSAGES:,} WebSocket "
              "messages a round")
        print(f"  {'':16} {'RSS':>10} {'fds':>5}  {'ab':>14} {'round':>6}")
        for name, rss, fds, rate, took in rows:
            print(f"  {name:16} {rss:>7,} KiB {fds:>5}  {rate:>14} {took:>6}")
        base_rss, base_fds = rows[0][1], rows[0][2]
        grown = rows[-1][1] - base_rss
        print(f"  growth over warm-up: {grown:+,} KiB RSS ({grown / base_rss:+.1%}), "
              f"{rows[-1][2] - base_fds:+d} descriptors")
        ok = rows[-1][2] == base_fds and grown <= max(1024, base_rss // 10)
        print("  within margin (same descriptors, RSS +10 % or +1 MiB at most)" if ok else "  OUTSIDE MARGIN")
        return 0 if ok else 1
    finally:
        benchlib.stop(proc)


if __name__ == "__main__":
    sys.exit(main())
