#!/usr/bin/env python3
"""Run a command; print its output, then a last line `cpu <seconds>`: the
user and system CPU time it and its children used (the load generator's
share, which the benchmark takes out of the machine's)."""
import resource
import subprocess
import sys

p = subprocess.run(sys.argv[1:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"cpu {r.ru_utime + r.ru_stime}", flush=True)
sys.exit(p.returncode)
