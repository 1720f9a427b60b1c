"""Helpers the benchmark scripts share: free ports, starting a pinned server, reading a
server's CPU time and RSS (its children's too: nginx forks its worker) from /proc, the nginx
peer's config, the wrk keep-alive run and its report, and the idle-connection holders."""
import os
import re
import socket
import statistics
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


def nginx_cmd(tmp, port, ssl=""):
    """nginx-light with one worker in `tmp` on 127.0.0.1:port, GET /hello -> "Hello, World!";
    `ssl` (http-level ssl_* directives) makes the listener TLS."""
    conf = os.path.join(tmp, f"nginx-{port}.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; daemon off; pid {tmp}/nginx-{port}.pid; error_log {tmp}/nginx-error.log;
events {{ worker_connections 20000; }}
http {{ access_log off; keepalive_requests 10000000; keepalive_timeout 60s;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp}; uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  {ssl}
  server {{ listen 127.0.0.1:{port}{" ssl" if ssl else ""};
    location /hello {{ default_type text/plain; return 200 "Hello, World!"; }} }} }}
""")
    return ["nginx", "-c", conf, "-p", tmp]


def wrk_keepalive(server, url, seconds):
    """wrk -t1 -c64 on core 1 against `url` after a 1 s warm-up: (req/s, the server's CPU share,
    p99 in ms, whether any request failed)."""
    subprocess.run(["wrk", "-t1", "-c64", "-d1s", url], capture_output=True)
    out, share = load_run(server, ["wrk", "-t1", "-c64", f"-d{seconds}s", "--latency", url])
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors", out)
    return rate, share, p99_ms, bool(errors)


def start_peer(cmd, port):
    """start_pinned on core 0, Go's peers held to one thread of Go code (GOMAXPROCS=1)."""
    return start_pinned(cmd, port, env={**os.environ, "GOMAXPROCS": "1"})


def interleaved(servers, measure, rounds=3):
    """measure(server process, port) against each of `servers` (name -> its command for a port),
    each started afresh by start_peer, in `rounds` interleaved rounds. Returns name -> the
    median of each figure measure returned (for a flag: whether any run raised it)."""
    runs = {n: [] for n in servers}
    for _ in range(rounds):
        for n, cmd in servers.items():
            port = free_port()
            server = start_peer(cmd(port), port)
            try:
                runs[n].append(measure(server, port))
            finally:
                stop(server)
    return {n: [any(c) if isinstance(c[0], bool) else statistics.median(c) for c in zip(*rs)] for n, rs in runs.items()}


def rate_table(title, medians, unit, extra=()):
    """Prints `title`, then each server's rate, CPU share and rate per server core (medians: name
    -> [rate, CPU share, *further figures], as interleaved returns; `extra` is a (heading,
    format) for each further figure), then the first server's ratios to the others."""
    print(title)
    print(f"{'server':18} {unit:>10} {'CPU':>5} {unit + ' per core':>16}" + "".join(f" {h:>9}" for h, _ in extra))
    for n, (rate, share, *more) in medians.items():
        print(f"{n:18} {rate:10.0f} {share * 100:4.0f}% {rate / max(share, 0.01):16.0f}" +
              "".join(f" {format(v, f):>9}" for v, (_, f) in zip(more, extra)))
    names = list(medians)
    ours = medians[names[0]]
    for n in names[1:]:
        peer = medians[n]
        print(f"{names[0]} / {n}: {ours[0] / max(peer[0], 0.01):.2f}x {unit}, "
              f"{(ours[0] / max(ours[1], 0.01)) / max(peer[0] / max(peer[1], 0.01), 0.01):.2f}x per server core")
    print()


def keepalive_report(servers, url, seconds, title):
    """wrk_keepalive against each of `servers` (name -> its command for a port; the first is
    ours) at url.format(port=...), 3 interleaved rounds; prints the medians, each server's req/s
    per core, and our ratios to the rest."""
    medians = interleaved(servers, lambda server, port: wrk_keepalive(server, url.format(port=port), seconds))
    for m in medians.values():
        m[3] = "YES" if m[3] else "no"
    rate_table(f"{title}; server on core 0, wrk on core 1; median of 3 interleaved", medians, "req/s",
               [("p99 ms", ".2f"), ("errors", "")])


def held_growth(server, connect, conns):
    """Server RSS growth per connection (KiB) while this process holds `conns` connections, each
    made by connect() and having had one GET /hello answered, pinned to core 1 meanwhile."""
    os.sched_setaffinity(0, {1})
    socks = []
    try:
        time.sleep(0.3)
        before = rss_kib(server)
        for _ in range(conns):
            s = connect()
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            s.recv(4096)
            socks.append(s)
        time.sleep(1.5)
        return (rss_kib(server) - before) / conns
    finally:
        for s in socks:
            s.close()
        os.sched_setaffinity(0, {0, 1})
