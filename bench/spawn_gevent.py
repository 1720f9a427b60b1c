"""gevent's side of bench/process_bench.py: N greenlets at once, each gevent.subprocess.call of
/bin/true. Usage: spawn_gevent.py N"""
import sys

import gevent
from gevent import subprocess

n = int(sys.argv[1])
children = [gevent.spawn(subprocess.call, ["/bin/true"]) for _ in range(n)]
gevent.joinall(children)
failed = sum(1 for c in children if c.value != 0)
if failed:
    print(f"{failed} children failed", file=sys.stderr)
sys.exit(1 if failed else 0)
