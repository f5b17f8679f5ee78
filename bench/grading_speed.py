"""Benchmark: how long grading takes, as a user runs it.

    python bench/grading_speed.py [--batch 20] [--jobs 2]

1. For each assignment that exists, `python -m autograder grade ID solutions/ID` as a fresh
   process (interpreter start, torch import and the sandboxed child included): wall seconds.
2. `grade-all` over a batch of N copies of the first_gan reference and release (alternating),
   with --jobs J: wall seconds and seconds per submission.

Prints a Markdown table to paste into docs/benchmarks.md, with the machine it ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import ASSIGNMENTS  # noqa: E402
from autograder.grading.sandbox import jail_kind  # noqa: E402


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, jail: {jail_kind()}\n")
    print("| assignment | score | wall s (one submission, fresh process) |")
    print("| --- | --- | --- |")
    for assignment in ASSIGNMENTS:
        if not (REPO / "solutions" / assignment).is_dir():
            continue
        seconds, out = timed([sys.executable, "-m", "autograder", "grade", assignment,
                              f"solutions/{assignment}"])
        score = next(line for line in out.splitlines() if line.startswith("Score:"))
        print(f"| {assignment} | {score.removeprefix('Score: ')} | {seconds:.1f} |")

    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "submissions"
        batch.mkdir()
        for i in range(args.batch):
            source = "solutions" if i % 2 == 0 else "assignments"
            shutil.copytree(REPO / source / "first_gan", batch / f"student{i:02d}")
        seconds, _ = timed([sys.executable, "-m", "autograder", "grade-all", "first_gan",
                            str(batch), "--out", str(Path(tmp) / "out"), "--jobs", str(args.jobs)])
    print(f"\nbatch: {args.batch} first_gan submissions, --jobs {args.jobs}: {seconds:.1f} s wall, "
          f"{seconds / args.batch:.1f} s per submission")


if __name__ == "__main__":
    main()
