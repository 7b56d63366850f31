#!/usr/bin/env python3
"""Writes N sample documents as JSONL to stdout; about 1 in 2,000 is invalid on purpose
(a title over the contract's 512 bytes) so that the demo shows rejected items."""
import json
import random
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
rng = random.Random(7)
words = "alpha beta gamma delta épsilon zeta eta theta iota kappa lambda mu".split()
out = sys.stdout
for i in range(count):
    title = f"Document {i}: " + " ".join(rng.choice(words) for _ in range(4))
    if i % 2000 == 1999:
        title = "x" * 600  # over the 512-byte limit: rejected with 422
    doc = {
        "title": title,
        "body": " ".join(rng.choice(words) for _ in range(rng.randint(8, 40))),
        "tags": rng.sample(words, 2),
        "metadata": {"n": i, "source": "demo"},
        "public": i % 10 == 0,
    }
    out.write(json.dumps(doc, ensure_ascii=False) + "\n")
