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


def load_run(server, cmd):
    """Runs the load generator `cmd` on core 1; returns its output and the server's CPU share."""
    cpu0, t0 = cpu_seconds(server), time.time()
    out = subprocess.run(["taskset", "-c", "1", *cmd], capture_output=True, text=True, check=True).stdout
    return out, (cpu_seconds(server) - cpu0) / (time.time() - t0)


def idle_growth(server, holder_cmd, conns):
    """Server RSS growth per connection (KiB) while `holder_cmd` holds `conns` connections open:
    it prints "ready" once they are, and lets them go when its stdin closes (echo_load idle)."""
    time.sleep(0.3)
    before = rss_kib(server)
    holder = subprocess.Popen(holder_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    after = rss_kib(server)
    holder.stdin.close()
    holder.wait()
    return (after - before) / conns


def go_binary(source, tmp):
    """Builds the Go peer `source` once into `tmp` (GOPATH mode: Debian's Go packages, such as
    gorilla/websocket, live in /usr/share/gocode) and returns the binary's path."""
    binary = os.path.join(tmp, os.path.splitext(os.path.basename(source))[0])
    if not os.path.exists(binary):
        env = {**os.environ, "GOCACHE": os.path.join(tmp, "gocache"), "GOPATH": "/usr/share/gocode",
               "GO111MODULE": "off"}
        subprocess.run(["go", "build", "-o", binary, source], check=True, env=env)
    return binary
