"""Helpers the benchmark scripts share: free ports, starting a pinned server, and reading a
server's CPU time and RSS (its children's too: nginx forks its worker) from /proc."""
import os
import socket
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_pinned(cmd, port, core=0, env=None):
    """Starts cmd on `core` and waits until it accepts connections on `port`."""
    proc = subprocess.Popen(["taskset", "-c", str(core), *cmd], env=env, stdout=subprocess.DEVNULL)
    for _ in range(1000):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.01)
    proc.kill()
    raise RuntimeError(f"{cmd[0]} did not start")


def pids(proc):
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    return [proc.pid] + [int(p) for p in out]


def cpu_seconds(proc):
    total = 0.0
    for pid in pids(proc):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
        except OSError:
            pass
    return total


def rss_kib(proc):
    total = 0
    for pid in pids(proc):
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def stop(proc):
    for pid in reversed(pids(proc)):
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    proc.wait()
