#!/usr/bin/env python3
"""Checks that the SDK's layers include one another in one direction only (design.md):

    base (error, result, observer, secret) <- net <- auth, limit <- retry <- redis
        <- models <- json <- call <- api <- ingest <- client (client, config)

retry sits above limit (the retry budget's floor is a GCRA); "redis" is the library
libcodex_redis (the Redis client and limiter, src/limit/redis_*), built on the core's
limit, retry and net, and reached by the core only through limit/redis_support.

A file may include its own layer and those below it; an include of a higher layer is a
violation, printed with the file and line. The emulator and the command-line tool sit
above everything (they are not part of the library) and are not checked.

The upward includes that remain to be removed are listed, each with its reason, in
known_upward_includes.txt beside this script: the check fails on any other, and on
an entry that no longer happens (so the list only shrinks).
    check_includes.py REPO_ROOT   -> exit 0 when clean, 1 with the violations listed"""
import pathlib
import re
import sys

LAYERS = ["base", "net", "auth/limit", "retry", "redis", "models", "json", "call", "api", "ingest", "client"]
RANK = {name: i for i, name in enumerate(LAYERS)}
REDIS = {"limit/redis_client", "limit/redis_gcra", "limit/redis_limiter", "limit/redis_reply_reader"}
MODELS = {"api/account", "api/batch", "api/document", "api/page", "api/list_options"}
# Vocabulary every layer uses (a string that never prints, base64), though they sit in
# auth/: the transport's proxy credentials and key passphrase are secrets too.
VOCABULARY = {"auth/secret", "auth/base64"}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](?:codex/)?([^>"]+)\.hpp[>"]')


def layer_of(module):
    """The layer of a header or source named by its path under include/codex or src,
    without the extension (e.g. "net/url", "api/document", "client"); None when it is
    not the library's (a system header, the emulator)."""
    top = module.split("/")[0]
    if module in MODELS:
        return "models"
    if module in REDIS:
        return "redis"
    if module in VOCABULARY:
        return "base"
    if top in ("error", "result", "observer", "detail", "version"):
        return "base"
    if top in ("auth", "limit"):
        return "auth/limit"
    if top == "retry":
        return "retry"
    if top in ("net", "json", "call", "api", "ingest"):
        return top
    if top in ("client", "config", "asio_impl", "beast_impl", "codex"):
        return "client"
    return None


def main():
    root = pathlib.Path(sys.argv[1])
    files = [(p, p.relative_to(root / "include" / "codex")) for p in (root / "include" / "codex").rglob("*.hpp")]
    files += [(p, p.relative_to(root / "src")) for p in (root / "src").rglob("*.[ch]pp")
              if p.relative_to(root / "src").parts[0] != "emulator"]
    known = set()
    for line in (pathlib.Path(__file__).parent / "known_upward_includes.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            known.add(line.split("  #")[0].strip())
    violations, seen_known = [], set()
    for path, relative in files:
        own = layer_of(str(relative.with_suffix("")))
        if own is None:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = layer_of(match.group(1))
            if target is not None and RANK[target] > RANK[own]:
                key = f"{path.relative_to(root)} includes {match.group(1)}.hpp"
                if key in known:
                    seen_known.add(key)
                else:
                    violations.append(f"{path.relative_to(root)}:{number}: {own} includes {match.group(1)}.hpp ({target})")
    for v in violations:
        print(v)
    for stale in sorted(known - seen_known):
        print(f"known_upward_includes.txt: no longer happens, remove it: {stale}")
    print(f"check_includes: {len(files)} files, {len(violations)} new upward includes, {len(seen_known)} known")
    return 1 if violations or known - seen_known else 0


if __name__ == "__main__":
    sys.exit(main())
