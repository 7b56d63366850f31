#!/usr/bin/env python3
"""Ingest end to end: the real `codex ingest` CLI against codex-emulator.

1. Rate-bound: N documents (scripts/sample-documents.py) with the emulator and the
   client both at L = 1,000 batch calls a minute and 1,000 items a batch — a bound of
   L × 1,000 items a minute, so 1,000,000 documents take about a minute. Figures: items/s,
   the fraction of the bound, 429s seen, the CLI's peak RSS.
2. Large input: a file of INPUT_BYTES (copies of the same generated documents; each
   line gets its own stable id) with the emulator's limit raised so that the run goes as
   fast as client and emulator can; figure: the CLI's peak RSS beside the first one's.
   The emulator keeps every document in memory, about 1 KiB each: for 2 GiB of input
   (7.4 million documents) it grows to about 7.5 GB. The stage checks MemAvailable first
   and fails with that reason rather than push the machine into the OOM killer.

Fails (exit 1) when a run could not go, when items are lost (accepted + rejected ≠
lines, or the emulator's accepted count ≠ the CLI's), or when a 429 is seen while the
client's limit equals the server's. Timings and RSS are reported, never asserted.
Generated inputs live in a temporary directory, deleted at the end."""
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

build = os.environ["BENCH_BUILD"]
repo = os.environ["BENCH_REPO"]
smoke = os.environ.get("BENCH_SMOKE") == "1"
here = os.path.dirname(os.path.abspath(__file__))

documents = 20_000 if smoke else 1_000_000
large_bytes = (20 << 20) if smoke else (2 << 30)
limit_per_minute = 1000          # batch calls a minute, emulator and client alike
items_per_batch = 1000
bound = limit_per_minute * items_per_batch / 60.0  # items/s

codex = os.path.join(build, "apps", "codex")
emulator_bin = os.path.join(build, "apps", "codex-emulator")


class emulator:
    """codex-emulator on an ephemeral port, as scripts/demo starts it."""

    def __init__(self, state, *flags):
        os.makedirs(state, exist_ok=True)
        self.out = open(os.path.join(state, "emulator.out"), "w+")
        self.err = open(os.path.join(state, "emulator.err"), "w+")
        self.proc = subprocess.Popen([emulator_bin, "--port", "0", "--state-dir", state, *flags],
                                     stdout=self.out, stderr=self.err)
        self.credentials_file = os.path.join(state, "credentials.json")
        for _ in range(100):
            self.out.seek(0)
            if "listening on" in self.out.read():
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        else:
            pass
        self.out.seek(0)
        if "listening on" not in self.out.read():
            self.err.seek(0)
            self.stop()
            raise RuntimeError("codex-emulator did not start: " + self.err.read())
        with open(self.credentials_file) as f:
            self.credentials = json.load(f)
        self.tls = ssl.create_default_context(cafile=self.credentials["ca_file"])

    def stats(self):
        origin = self.credentials["base_url"].rsplit("/v1", 1)[0]
        request = urllib.request.Request(origin + "/_emulator/stats",
                                         headers={"X-Emulator-Admin": self.credentials["admin_token"]})
        with urllib.request.urlopen(request, context=self.tls, timeout=30) as response:
            return json.load(response)

    def accepted_items(self):
        return sum(c.get("batch_items_accepted", 0) for c in self.stats()["credentials"].values())

    def peak_rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def count_lines(path):
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def mem_available_kib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


def make_large(source, path, size):
    """Copies of `source` up to `size` bytes, cut after the last whole line."""
    with open(source, "rb") as src, open(path, "wb") as out:
        written = 0
        while written < size:
            src.seek(0)
            shutil.copyfileobj(src, out, 1 << 20)
            written = out.tell()
    with open(path, "rb+") as f:
        f.seek(size - (1 << 16))
        tail = f.read(1 << 16)
        f.truncate(size - (1 << 16) + tail.rfind(b"\n") + 1)


def make_rejects_heavy(source, path, every):
    """`source` with every `every`-th line made invalid (a title over 512 bytes: a per-item 422)."""
    invalid = 0
    with open(source, "rb") as src, open(path, "wb") as out:
        for n, line in enumerate(src, 1):
            if n % every == 0:
                line = b'{"title":"' + b"x" * 600 + b'","body":"invalid on purpose, line ' + str(n).encode() + b'"}\n'
                invalid += 1
            out.write(line)
    return invalid


def ingest(work, name, input_path, credentials_file, rate):
    """Runs `codex --json ingest` under peak_rss.py; returns (report, peak RSS KiB, wall s)."""
    rss_file = os.path.join(work, name + ".rss")
    env = dict(os.environ, CODEX_CREDENTIALS_FILE=credentials_file)
    for var in ("CODEX_API_KEY", "CODEX_CLIENT_ID", "CODEX_CLIENT_SECRET", "CODEX_ACCESS_TOKEN",
                "CODEX_BASE_URL", "CODEX_CA_FILE", "CODEX_RATE_LIMIT"):
        env.pop(var, None)
    command = [sys.executable, os.path.join(here, "peak_rss.py"), rss_file, codex, "--json", "--rate-limit", rate,
               "ingest", input_path, "--rejects", os.path.join(work, name + ".rejects.jsonl"),
               "--journal", os.path.join(work, name + ".journal")]
    start = time.monotonic()
    run = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    # 0: all accepted; 6: finished with rejected items (the generator makes 1 in 2,000 invalid).
    if run.returncode not in (0, 6):
        raise RuntimeError(f"codex ingest ({name}) exited {run.returncode}: {run.stderr[-2000:]}")
    report = json.loads(run.stdout.strip().splitlines()[-1])
    with open(rss_file) as f:
        rss = int(f.read())
    return report, rss, wall


rows = []


def row(benchmark, variant, metric, value, target=None):
    """One figure: a results.tsv row (through bench/support/row.py's format) and a table line."""
    path = os.path.join(os.environ.get("BENCH_RESULTS", "."), "results.tsv")
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a") as out:
        if new:
            out.write("benchmark\tvariant\tmetric\tmedian\tmin\tmax\truns\n")
        out.write(f"{benchmark}\t{variant}\t{metric}\t{value:.6g}\t{value:.6g}\t{value:.6g}\t1\n")
    rows.append((variant, metric, value, target))


def print_table(title):
    print(f"\n{title}")
    print(f"  {'variant':<22} {'metric':<24} {'value':>12}  {'target':<22} {'ratio':>7}")
    for variant, metric, value, target in rows:
        goal = ratio = verdict = ""
        if target:
            sign, want, text = target
            goal = text
            if want:
                ratio = f"{value / want:.2f}"
            verdict = "met" if (value >= want if sign == ">=" else value <= want if sign == "<=" else value == want) \
                else "MISSED"
        print(f"  {variant:<22} {metric:<24} {value:12.4g}  {goal:<22} {ratio:>7} {verdict}")
    sys.stdout.flush()


def main():
    failures = []
    work = tempfile.mkdtemp(prefix="codex-bench-ingest-")
    try:
        small = os.path.join(work, "documents.jsonl")
        with open(small, "w") as out:
            subprocess.run([sys.executable, os.path.join(repo, "scripts", "sample-documents.py"), str(documents)],
                           stdout=out, check=True)
        lines = count_lines(small)
        small_size = os.path.getsize(small)
        print(f"ingest: {lines} documents, {small_size / 2**20:.1f} MiB; limit {limit_per_minute} batch calls/min, "
              f"{items_per_batch} items/batch: bound {bound:.0f} items/s")

        # 1. Rate-bound run: the contract's limit on both sides.
        rate = f"{limit_per_minute}/60s"
        server = emulator(os.path.join(work, "state-bound"), "--rate-limit", str(limit_per_minute),
                          "--rate-window", "60", "--max-documents", str(2 * documents + 1000))
        try:
            report, rss_small, wall = ingest(work, "bound", small, server.credentials_file, rate)
            accepted_by_emulator = server.accepted_items()
            emulator_rss = server.peak_rss_kib()
        finally:
            server.stop()
        print(f"ingest: rate-bound run: {json.dumps(report)}; wall {wall:.1f} s; emulator peak RSS {emulator_rss / 1024:.0f} MiB")
        if report["accepted"] + report["rejected"] != lines:
            failures.append(f"rate-bound run lost items: {report['accepted']} accepted + {report['rejected']} rejected != {lines} lines")
        if accepted_by_emulator != report["accepted"]:
            failures.append(f"rate-bound run: emulator accepted {accepted_by_emulator}, the CLI reports {report['accepted']}")
        if report["rate_limited"] != 0:
            failures.append(f"rate-bound run saw {report['rate_limited']} 429s with the client's limit equal to the server's")
        variant = f"bound_{documents // 1000}k_docs"
        row("ingest", variant, "items_per_s", report["items_per_second"])
        row("ingest", variant, "fraction_of_bound", report["items_per_second"] / bound, (">=", 0.95, "≥ 0.95 of bound"))
        row("ingest", variant, "http_429_seen", report["rate_limited"], ("==", 0, "= 0"))
        row("ingest", variant, "peak_rss_mib", rss_small / 1024)

        # 2. Many rejects: 1 line in 10 invalid. Rejects stream to their file and the report
        # keeps only the first few, so peak RSS must stay that of the run above.
        heavy = os.path.join(work, "rejects-heavy.jsonl")
        heavy_invalid = make_rejects_heavy(small, heavy, 10)
        server = emulator(os.path.join(work, "state-heavy"), "--rate-limit", "100000", "--rate-window", "1",
                          "--max-documents", str(2 * documents + 1000))
        try:
            report_heavy, rss_heavy, wall_heavy = ingest(work, "heavy", heavy, server.credentials_file, "100000/1s")
        finally:
            server.stop()
        print(f"ingest: rejects-heavy run ({heavy_invalid} invalid lines): {json.dumps(report_heavy)}; "
              f"wall {wall_heavy:.1f} s")
        if report_heavy["rejected"] < heavy_invalid or report_heavy["accepted"] + report_heavy["rejected"] != lines:
            failures.append(f"rejects-heavy run: {report_heavy['accepted']} accepted + {report_heavy['rejected']} "
                            f"rejected for {lines} lines, {heavy_invalid} made invalid")
        rejects_written = count_lines(os.path.join(work, "heavy.rejects.jsonl"))
        if rejects_written != report_heavy["rejected"]:
            failures.append(f"rejects-heavy run: {rejects_written} lines in the rejects file, "
                            f"{report_heavy['rejected']} reported")
        variant_heavy = f"rejects10pct_{documents // 1000}k_docs"
        row("ingest", variant_heavy, "rejected", report_heavy["rejected"])
        row("ingest", variant_heavy, "peak_rss_mib", rss_heavy / 1024)
        row("ingest", variant_heavy, "rss_vs_small_input", rss_heavy / rss_small, ("<=", 1.25, "≤ 1.25 × no rejects"))
        os.remove(heavy)

        # 3. Large input, as fast as it goes: the emulator's and the client's limit raised.
        large = os.path.join(work, "large.jsonl")
        make_large(small, large, large_bytes)
        os.remove(small)
        large_lines = count_lines(large)
        need_kib = large_lines * 1100 // 1024 + (2 << 20)  # the emulator's documents + 2 GiB of headroom
        if mem_available_kib() < need_kib:
            raise RuntimeError(f"not enough memory for the large run: the emulator needs about "
                               f"{need_kib >> 20} GiB, MemAvailable is {mem_available_kib() >> 20} GiB")
        print(f"ingest: large input {os.path.getsize(large) / 2**20:.0f} MiB, {large_lines} documents "
              f"(copies of the same {lines}); limits raised to 100000 batch calls/s")
        server = emulator(os.path.join(work, "state-large"), "--rate-limit", "100000", "--rate-window", "1",
                          "--max-documents", str(large_lines + 1000))
        try:
            report_large, rss_large, wall_large = ingest(work, "large", large, server.credentials_file, "100000/1s")
            accepted_by_emulator = server.accepted_items()
            emulator_rss = server.peak_rss_kib()
        finally:
            server.stop()
        print(f"ingest: large run: {json.dumps(report_large)}; wall {wall_large:.1f} s; "
              f"emulator peak RSS {emulator_rss / 1024:.0f} MiB")
        if report_large["accepted"] + report_large["rejected"] != large_lines:
            failures.append(f"large run lost items: {report_large['accepted']} + {report_large['rejected']} != {large_lines}")
        if accepted_by_emulator != report_large["accepted"]:
            failures.append(f"large run: emulator accepted {accepted_by_emulator}, the CLI reports {report_large['accepted']}")
        variant_large = f"large_{os.path.getsize(large) / 2**20:.0f}MiB"
        row("ingest", variant_large, "items_per_s", report_large["items_per_second"])
        row("ingest", variant_large, "peak_rss_mib", rss_large / 1024)
        row("ingest", variant_large, "rss_vs_small_input", rss_large / rss_small,
            ("<=", 1.25, "≤ 1.25 × small input"))

        print_table("ingest — `codex ingest` against codex-emulator (one run each)")
        print(f"  peak RSS side by side: {small_size / 2**20:.0f} MiB input → {rss_small / 1024:.1f} MiB;  "
              f"{os.path.getsize(large) / 2**20:.0f} MiB input → {rss_large / 1024:.1f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("ingest: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a run that could not go fails the stage, with its reason
        print(f"ingest: {e}", file=sys.stderr)
        sys.exit(1)
