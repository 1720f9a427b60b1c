#!/usr/bin/python3
"""A read from a socket that has data costs exactly one syscall (DESIGN: speculative I/O):
runs ready_read_probe under strace and counts the calls between its getppid() markers.
Usage: syscall_count_test.py <ready_read_probe>"""
import subprocess
import sys
import tempfile

probe = sys.argv[1]
with tempfile.NamedTemporaryFile("r", prefix="gevtest-strace-") as log:
    subprocess.run(["strace", "-f", "-qq", "-o", log.name, probe], check=True, timeout=60)
    lines = [l.split(None, 1)[1] if l[0].isdigit() else l for l in log.read().splitlines()]

marks = [i for i, l in enumerate(lines) if l.startswith("getppid(")]
assert len(marks) == 6, f"expected 6 markers, got {len(marks)}"
for start, end in zip(marks[0::2], marks[1::2]):
    between = lines[start + 1:end]
    print("read cost:", between)
    assert len(between) == 1 and between[0].startswith(("recvfrom(", "recv(")), between
print("3 passed, 0 failed")
