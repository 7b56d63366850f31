#!/usr/bin/env python3
"""Runs a command and writes its peak resident set size, in KiB, to a file:
    peak_rss.py OUT_FILE COMMAND [ARG ...]
The figure is getrusage(RUSAGE_CHILDREN).ru_maxrss — the peak of the one child this
wrapper ran (Linux reports it in KiB). Exits with the command's exit status."""
import resource
import subprocess
import sys

out, *command = sys.argv[1:]
status = subprocess.run(command).returncode
with open(out, "w") as f:
    f.write(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
sys.exit(status if status >= 0 else 128 - status)
