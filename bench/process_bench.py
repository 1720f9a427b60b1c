#!/usr/bin/python3
"""Spawn and wait of 1,000 /bin/true children from greenlets: geventpp (gev::subprocess::call in
1,000 greenlets) beside gevent (gevent.subprocess.call in 1,000 greenlets) and the floor (C++
posix_spawn + waitpid, one after the other), interleaved, every process on core 0. Prints each
one's median wall time and CPU time (the process and its children), children per second, and
ratios. Usage: process_bench.py <build> [rounds] [children]"""
import os
import resource
import statistics
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
CHILDREN = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = {
    "geventpp": [os.path.join(BUILD, "bench", "spawn_gev"), "gev", str(CHILDREN)],
    "gevent": ["/usr/bin/python3", os.path.join(HERE, "spawn_gevent.py"), str(CHILDREN)],
    "floor (posix_spawn+waitpid)": [os.path.join(BUILD, "bench", "spawn_gev"), "libc", str(CHILDREN)],
}


def timed(cmd):
    """(wall s, CPU s of the process and its descendants) of one run on core 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(["taskset", "-c", "0", *cmd], check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    runs = {name: [] for name in PEERS}
    for _ in range(ROUNDS):
        for name, cmd in PEERS.items():
            runs[name].append(timed(cmd))
    medians = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}
    print(f"spawn + wait of {CHILDREN} /bin/true children (median of {ROUNDS} interleaved rounds, core 0)")
    print(f"{'':30} {'wall ms':>9} {'cpu ms':>9} {'children/s':>11} {'speed vs gevent':>16} {'cpu vs floor':>13}")
    gevent_wall = medians["gevent"][0]
    floor_cpu = medians["floor (posix_spawn+waitpid)"][1]
    for name, (wall, cpu) in medians.items():
        print(f"{name:30} {wall * 1000:9.0f} {cpu * 1000:9.0f} {CHILDREN / wall:11.0f} "
              f"{gevent_wall / wall:15.2f}x {cpu / floor_cpu:12.2f}x")
    print("(speed: gevent's wall time over the row's, higher is faster; cpu: the row's CPU time over the")
    print(" floor's, lower is cheaper. The floor waits for each child before the next; the greenlets")
    print(" overlap them, so their wall time can beat it while their CPU time cannot.)")


if __name__ == "__main__":
    main()
