"""`python -m bench [--quick] [--batch N] [--processes N] [--js] [--pages | --pages-only]
[--goals-only [--goal N ...] | --no-goals]`: print the figures, then the Markdown table, also written to
bench/results.md (not after --quick, --pages-only or --goals-only, unless --out says where).
The issue 14 goals (`bench.goals`) need the PostgreSQL binaries; their data is kept in
/var/tmp/issuer-bench ($BENCH_DATA_DIR) between runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bench.report import Results, command_line, hostile_sentence, markdown, sentence, table

RESULTS_FILE = Path(__file__).resolve().parent / "results.md"

# Operations per measure: (full run, --quick). RSA signing is ~10 times slower than the rest.
ITERATIONS = {
    "raw-ed25519-sign": (20_000, 2_000),
    "raw-ed25519-verify": (10_000, 1_000),
    "raw-rsa-sign": (2_000, 200),
    "raw-rsa-verify": (20_000, 2_000),
    "di-sign": (2_000, 200),
    "di-verify": (2_000, 200),
    "jwt-sign": (2_000, 200),
    "jwt-verify": (5_000, 500),
}
# Measured in several processes too (throughput on every core).
PARALLEL = {"raw-ed25519-sign": "di-sign", "raw-rsa-sign": "jwt-sign"}
RAW_FOR = {"di-sign": "raw-ed25519-sign", "di-verify": "raw-ed25519-verify",
           "jwt-sign": "raw-rsa-sign", "jwt-verify": "raw-rsa-verify"}
BATCH = (10_000, 1_000)
JS_CREDENTIALS = (200, 20)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="fewer iterations and a batch of 1,000 (CI smoke run)")
    parser.add_argument("--batch", type=int, metavar="N",
                        help="credentials in the end-to-end batch (default 10,000; 1,000 quick)")
    parser.add_argument("--processes", type=int, default=2, metavar="N",
                        help="processes for the throughput measures (default 2)")
    parser.add_argument("--js", action="store_true",
                        help="also time Digital Bazaar's JavaScript signer (needs Node and "
                             "tests/interop/node_modules)")
    parser.add_argument("--pages", action="store_true",
                        help="also load one badge page with 200 concurrent views against "
                             "`issuer serve` on loopback (bench/pages.py)")
    parser.add_argument("--pages-only", action="store_true",
                        help="only the badge page under load")
    parser.add_argument("--goals-only", action="store_true",
                        help="only the four performance goals of issue 14 (bench/goals.py)")
    parser.add_argument("--goal", type=int, action="append", choices=range(1, 5), metavar="N",
                        help="with --goals-only: only goal N (1 to 4; may be repeated)")
    parser.add_argument("--no-goals", action="store_true",
                        help="leave out the issue 14 goals (PostgreSQL, a million rows)")
    parser.add_argument("--out", type=Path,
                        help="where to write the Markdown results (default bench/results.md; "
                             "a --quick run writes them only when this is given)")
    return parser.parse_args()


def _isolate_from_the_environment() -> None:
    """The batch runs in its own temporary ISSUER_HOME and SQLite file: no setting from the
    environment (a production DATABASE_URL, keys given as variables) may leak into it or into
    the helper processes, which inherit this environment."""
    for name in list(os.environ):
        if name.startswith("ISSUER_") or name == "DATABASE_URL":
            del os.environ[name]


def _page_load(results: Results) -> None:
    from bench.pages import CONCURRENT, run_page_load
    from bench.report import page_lines

    print(f"Badge page under load ({CONCURRENT} concurrent views, `issuer serve` on loopback)")
    results.pages = run_page_load()
    for line in page_lines(results.pages):
        print("  " + line)


def _goals(results: Results, quick: bool, only: list[int] | None = None) -> None:
    from bench.goals import run_goals

    print("Issue 14 performance goals (ratios to a reference measured in the same run)")
    results.goals = run_goals(quick, only=frozenset(only) if only else None)


def main() -> None:
    from bench import batch, hostile_timing, javascript, parallel
    from bench.timing import timed
    from bench.workloads import LABELS, WORKLOADS

    arguments = _arguments()
    _isolate_from_the_environment()
    pick = 1 if arguments.quick else 0
    results = Results()

    if arguments.goals_only:
        _goals(results, arguments.quick, arguments.goal)
        print()
        print(table(results))
        if arguments.out is not None:
            arguments.out.write_text(markdown(results, command=command_line()), "utf-8")
            print(f"\nWritten to {arguments.out}")
        return

    if arguments.pages_only:
        _page_load(results)
        print()
        print(table(results))
        if arguments.out is not None:
            arguments.out.write_text(markdown(results, command=command_line()), "utf-8")
            print(f"\nWritten to {arguments.out}")
        return

    print("Single process")
    for name, counts in ITERATIONS.items():
        count = counts[pick]
        rate = timed(LABELS[name], count, WORKLOADS[name](count))
        results.single[name] = rate
        print("  " + sentence(rate, results.single.get(RAW_FOR.get(name, ""))))

    print("Hostile input, verified as POST /api/v1/verify does (untrusted)")
    results.hostile = hostile_timing.measure(lambda line: print(line))
    print("  " + hostile_sentence(results))

    if arguments.processes > 1:
        print(f"{arguments.processes} processes at once")
        for raw_name, ours in PARALLEL.items():
            for name in (raw_name, ours):
                rate = parallel.throughput(name, ITERATIONS[name][pick], arguments.processes)
                results.parallel[name] = rate
                print("  " + sentence(rate, results.parallel.get(RAW_FOR.get(name, ""))))

    count = arguments.batch or BATCH[pick]
    print(f"Batch of {count:,}, end to end")
    outcome = batch.run_batch(count)
    results.batch = outcome
    print(f"  {outcome.seconds:.1f} s ({outcome.per_second:,.0f}/s), writing the files alone would take "
          f"{outcome.writing_seconds:.1f} s; {outcome.issued:,} issued, {outcome.rows:,} rows, "
          f"{outcome.files:,} files; {outcome.signing_helpers} signing helper process(es)")
    print(f"  again: {outcome.rerun_issued} issued in {outcome.rerun_seconds:.1f} s")

    if arguments.js:
        print("JavaScript reference")
        results.javascript = javascript.digital_bazaar_signing(JS_CREDENTIALS[pick])
        js = results.javascript
        if js.signing is None:
            print(f"  skipped: {js.skipped}")
        else:
            print("  " + sentence(js.signing, results.single.get("raw-ed25519-sign")))
            print(f"  one sign.mjs run: {js.one_process_seconds:.2f} s; verified by us: "
                  f"{js.verified_by_us}")

    if arguments.pages:
        _page_load(results)

    if not arguments.no_goals:
        _goals(results, arguments.quick)

    print()
    print(table(results))
    out = arguments.out or (None if arguments.quick else RESULTS_FILE)
    if out is not None:
        out.write_text(markdown(results, command=command_line()), "utf-8")
        print(f"\nWritten to {out}")


if __name__ == "__main__":
    main()
