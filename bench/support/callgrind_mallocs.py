#!/usr/bin/env python3
"""Counts the heap allocations in a callgrind profile (calls of malloc, calloc and
realloc), those of them made outside OpenSSL (whose allocations all go through
CRYPTO_malloc / CRYPTO_zalloc / CRYPTO_realloc), and those made for codex's JSON
decoders' models (a malloc with a codex::json:: function among its callers and no
simdjson:: one: the decoded models' own strings and vectors, not the parser's buffers).
    callgrind_mallocs.py CALLGRIND_OUT  ->  prints "ALL OUTSIDE_OPENSSL DECODERS"
The profile must be taken with --separate-callers10=malloc: each malloc is then named
with its chain of callers ("malloc'operator new(unsigned long)'std::…::_M_mutate'…"),
so that a string assigned inside a decoder counts as the decoder's although libstdc++
calls operator new. Read from the call graph (callgrind counts calls exactly), so the
figure is a count, repeatable from run to run, not a sample."""
import re
import sys

ALLOCATORS = {"malloc", "calloc", "realloc"}
# Callers that are the allocator itself (realloc(NULL, n) calls malloc, memalign too).
INTERNAL = re.compile(r"^(malloc|calloc|realloc|_mid_memalign.*|_int_.*|__libc_.*)$")
OPENSSL = re.compile(r"^CRYPTO_(malloc|zalloc|realloc|clear_realloc)$")
DECODER = re.compile(r"^codex::json::")
PARSER = re.compile(r"^simdjson::")


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
    separated = False
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("fn="):
                caller = name_of(line[3:].strip()).split("'")[0]
            elif line.startswith("cfn="):
                callee = name_of(line[4:].strip())
            elif line.startswith("calls=") and callee is not None:
                count = int(line[6:].split()[0])
                chain = callee.split("'")  # the callee, then its callers when separated
                separated = separated or len(chain) > 1
                if chain[0] in ALLOCATORS and not INTERNAL.match(caller or ""):
                    total += count
                    if not OPENSSL.match(caller or ""):
                        outside += count
                    if any(DECODER.match(c) for c in chain[1:]) and not any(PARSER.match(c) for c in chain[1:]):
                        decoders += count
                callee = None
    if not separated:
        sys.exit(f"{path}: no malloc with its callers: take the profile with --separate-callers10=malloc")
    print(total, outside, decoders)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
