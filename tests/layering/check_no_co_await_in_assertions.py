#!/usr/bin/env python3
"""Fails on a Catch assertion whose expression contains co_await, e.g.
`REQUIRE(co_await limiter.acquire(d))`.

Why: Catch2 v2 writes the expression three times inside its macro: once evaluated, once
in `__builtin_constant_p(...)` and once behind `false &&`, both never evaluated — and
GCC 12 runs a co_await in all three: the operation runs three times (one limiter check
became three: evals 3, not 1).
Await into a variable first, then assert on it.
    check_no_co_await_in_assertions.py REPO_ROOT   -> exit 0 when clean, 1 with the sites"""
import pathlib
import re
import sys

MACRO = re.compile(r"\b(?:REQUIRE|CHECK)(?:_FALSE|_NOTHROW|_THROWS(?:_AS|_WITH)?|_THAT)?\s*\(")


def argument(text, open_paren):
    """The text between the parenthesis at open_paren and the one that closes it."""
    depth = 0
    for i in range(open_paren, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[open_paren + 1:i]
    return text[open_paren + 1:]


def main(root):
    sites = []
    for path in sorted(pathlib.Path(root, "tests").rglob("*.[ch]pp")):
        text = path.read_text(encoding="utf-8")
        for match in MACRO.finditer(text):
            if re.search(r"\bco_await\b", argument(text, match.end() - 1)):
                line = text.count("\n", 0, match.start()) + 1
                sites.append(f"{path.relative_to(root)}:{line}: co_await inside {match.group(0).rstrip('(').strip()}(...)")
    for site in sites:
        print(site)
    print(f"{len(sites)} assertion(s) with co_await" if sites else "no assertion contains co_await")
    return 1 if sites else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
