"""Print bench/training.py's JSON lines as the Markdown tables of docs/benchmarks.md.

    python bench/training_table.py bench/records/gpu_h200_2026-12-03.jsonl

One table of the training marks (steps, steps/s, distance, digits, recognisable share, and
whether the mark meets issue 15's target: at least 9 digits with 2 % each and at least 80 %
recognisable), then one of the seed-loop ratios (the ``ratio`` lines of older records), then one
of the runs' ``summary`` lines (issue 29: shipped and seed steps/s, ratio, target met within the
target time and first when). Rows keep the file's order within each run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

TARGET_DIGITS, TARGET_CONFIDENT = 9, 0.80


def target_met(row: dict) -> bool:
    """A training mark meets the target: at least 9 digits with 2 % of the samples each (the
    evaluator's ``digits_present``) and at least 80 % of the samples recognisable."""
    return row["digits"] >= TARGET_DIGITS and row["confident"] >= TARGET_CONFIDENT


def run_name(row: dict) -> str:
    name = row["assignment"] + (" (train_pl)" if row.get("trainer") == "pl" else "")
    return name + (f" [{row['tag']}]" if row.get("tag") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", type=Path, nargs="+")
    args = parser.parse_args()
    rows = [json.loads(line) for log in args.logs for line in log.read_text().splitlines() if line.strip()]
    marks = [r for r in rows if r["kind"] == "training"]
    marks.sort(key=lambda r: (run_name(r), r["seconds"]))
    print("| run | mark | s | steps | steps/s | distance | digits >= 2 % | recognisable | target |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in marks:
        met = target_met(r)
        mark = r["mark"] if isinstance(r["mark"], str) else f"{r['mark']:g} s"
        print(f"| {run_name(r)} | {mark} | {r['seconds']:.0f} | {r['steps']} | {r['steps_per_s']} | "
              f"{r['fd']} | {r['digits']} | {r['confident']:.0%} | {'met' if met else '-'} |")
    ratios = [r for r in rows if r["kind"] == "ratio"]
    if ratios:
        print()
        print("| run | shipped loop steps/s | seed loop steps/s | ratio |")
        print("| --- | --- | --- | --- |")
        for r in sorted(ratios, key=run_name):
            print(f"| {run_name(r)} | {r['shipped_steps_per_s']} | {r['seed_steps_per_s']} | {r['ratio']} |")
    summaries = [r for r in rows if r["kind"] == "summary"]
    if summaries:
        print()
        print("| run | device | shipped steps/s | seed loop steps/s | ratio | target within | met | first met |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in summaries:
            stopped = f"not judged (stopped at {r.get('last_s')} s)"
            met = {True: "met", False: "not met", None: stopped}[r["target_met"]]
            first = "-"
            if r.get("first_met_s") is not None:
                first = f"{r['first_met_s']:.0f} s ({r['first_met_steps']} steps)"
            print(f"| {run_name(r)} | {r.get('device', '')} | {r['shipped_steps_per_s']} | "
                  f"{r['seed_steps_per_s'] or '-'} | {r['ratio'] or '-'} | {r['target_seconds']:g} s | "
                  f"{met} | {first} |")
    overhead = [r for r in rows if r["kind"] == "step_overhead" and "steps_per_s" in r]
    if overhead:
        print()
        print("| first_gan step, done as | steps/s |")
        print("| --- | --- |")
        for r in overhead:
            print(f"| {r['variant']} | {r['steps_per_s']} |")


if __name__ == "__main__":
    main()
