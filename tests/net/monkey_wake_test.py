#!/usr/bin/python3
"""With the monkey patch on, a wake-up across hubs costs what it costs without: runs
monkey_wake_probe (400 cross-hub wake-ups between greenlets) under strace and checks that the
hubs' own calls never take the patched path (a sendto failing with ENOTSOCK, an fcntl). Asio
wakes a hub asleep in epoll by re-arming its eventfd (epoll_ctl), writing it only once at start.
Usage: monkey_wake_test.py <monkey_wake_probe>"""
import subprocess
import sys
import tempfile

probe = sys.argv[1]
with tempfile.NamedTemporaryFile("r", prefix="gevtest-strace-") as log:
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=write,sendto,fcntl", "-o", log.name, probe], check=True,
                   timeout=60)
    calls = log.read().splitlines()
patched = [c for c in calls if "ENOTSOCK" in c or "fcntl(" in c]
print(f"{len(calls)} write/sendto/fcntl calls, {len(patched)} patched attempts")
assert patched == [], patched[:10]
print("1 passed, 0 failed")
