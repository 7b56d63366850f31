#!/usr/bin/env python3
"""Counts the heap allocations in a callgrind profile (calls of malloc, calloc and
realloc), those of them made outside OpenSSL (whose allocations all go through
CRYPTO_malloc / CRYPTO_zalloc / CRYPTO_realloc), and those made by codex's JSON
decoders (operator new called from codex::json::…: the decoded models' own strings
and vectors).
    callgrind_mallocs.py CALLGRIND_OUT  ->  prints "ALL OUTSIDE_OPENSSL DECODERS"
Read from the profile's call graph (callgrind counts calls exactly), so the figure is
a count, repeatable from run to run, not a sample."""
import re
import sys

ALLOCATORS = {"malloc", "calloc", "realloc"}
# Callers that are the allocator itself (realloc(NULL, n) calls malloc, memalign too).
INTERNAL = re.compile(r"^(malloc|calloc|realloc|_mid_memalign.*|_int_.*|__libc_.*)$")
OPENSSL = re.compile(r"^CRYPTO_(malloc|zalloc|realloc|clear_realloc)$")
OPERATOR_NEW = re.compile(r"^operator new\(unsigned long")
DECODER = re.compile(r"^codex::json::")


def main(path):
    names = {}  # callgrind compresses names: "(id) name" once, "(id)" after

    def name_of(spec):
        m = re.match(r"\((\d+)\)(?: (.*))?$", spec)
        if not m:
            return spec
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), spec)

    caller = callee = None
    total = outside = decoders = 0
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("fn="):
                caller = name_of(line[3:].strip())
            elif line.startswith("cfn="):
                callee = name_of(line[4:].strip())
            elif line.startswith("calls=") and callee is not None:
                count = int(line[6:].split()[0])
                if callee in ALLOCATORS and not INTERNAL.match(caller or ""):
                    total += count
                    if not OPENSSL.match(caller or ""):
                        outside += count
                elif OPERATOR_NEW.match(callee) and DECODER.match(caller or ""):
                    decoders += count
                callee = None
    print(total, outside, decoders)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
