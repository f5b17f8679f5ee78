"""Benchmark: how long grading takes, as a user runs it.

    python bench/grading_speed.py [--batch 300] [--jobs 2] [--skip-single] [--gradescope]

1. For each assignment that exists, `python -m autograder grade ID solutions/ID` as a fresh
   process (interpreter start, torch import and the sandboxed child included): wall seconds.
   This is also the Gradescope path's figure (one container grades one submission).
2. `grade-all` over a class of N copies of the first_gan reference and release (alternating),
   with --jobs J: the class's wall seconds, seconds per submission, and the idle share of each
   CPU core over the batch (from /proc/stat).

3. With --gradescope: the Gradescope path, one container and one submission: the first_gan
   Gradescope zip (`autograder/instructor/package.py`) unpacked as Gradescope lays it out, and
   its `run_autograder` timed on the reference notebook (--batch 0 skips the batch).

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
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import ASSIGNMENTS  # noqa: E402
from autograder.grading.sandbox import jail_kind  # noqa: E402


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, proc.stdout


def cpu_times() -> dict[str, tuple[int, int]]:
    """Core name -> (idle ticks, all ticks) from /proc/stat (``cpu0``, ``cpu1``...)."""
    found = {}
    with open("/proc/stat") as f:
        for line in f:
            name, *ticks = line.split()
            if name.startswith("cpu") and name != "cpu":
                values = [int(t) for t in ticks]
                found[name] = (values[3] + values[4], sum(values[:8]))  # idle + iowait
    return found


def idle_shares(before: dict, after: dict) -> dict[str, float]:
    return {core: (after[core][0] - before[core][0]) / max(1, after[core][1] - before[core][1])
            for core in before if core in after}


def build_class(folder: Path, size: int) -> None:
    """``size`` students: the first_gan reference and the untouched release, alternating."""
    for i in range(size):
        source = "solutions" if i % 2 == 0 else "assignments"
        shutil.copytree(REPO / source / "first_gan", folder / f"student{i:03d}",
                        ignore=shutil.ignore_patterns("*.pct.py"))


def gradescope_seconds(assignment: str = "first_gan") -> tuple[float, float]:
    """Wall seconds of the Gradescope zip's ``run_autograder`` on the reference, and its score."""
    import json
    import zipfile

    from autograder.instructor.package import package

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "autograder"
        archive_path = package("gradescope", assignment, Path(tmp) / "dist")
        with zipfile.ZipFile(archive_path) as archive:
            for info in archive.infolist():
                path = Path(archive.extract(info, root / "source"))
                path.chmod((info.external_attr >> 16) & 0o777)
        (root / "submission").mkdir()
        (root / "results").mkdir()
        shutil.copy2(REPO / "solutions" / assignment / f"{assignment}.ipynb", root / "submission")
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
        started = time.perf_counter()
        subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                       check=True)
        seconds = time.perf_counter() - started
        score = json.loads((root / "results" / "results.json").read_text())["score"]
    return seconds, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-single", action="store_true",
                        help="only the batch (no fresh-process grading per assignment)")
    parser.add_argument("--gradescope", action="store_true",
                        help="also time the Gradescope zip's run_autograder on one submission")
    args = parser.parse_args()

    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, jail: {jail_kind()}; load before: "
          f"{os.getloadavg()[0]:.2f}\n")
    if not args.skip_single:
        print("| assignment | score | wall s (one submission, fresh process) |")
        print("| --- | --- | --- |")
        for assignment in ASSIGNMENTS:
            if not (REPO / "solutions" / assignment).is_dir():
                continue
            seconds, out = timed([sys.executable, "-m", "autograder", "grade", assignment,
                                  f"solutions/{assignment}"])
            score = next(line for line in out.splitlines() if line.startswith("Score:"))
            print(f"| {assignment} | {score.removeprefix('Score: ')} | {seconds:.1f} |", flush=True)

    if args.gradescope:
        seconds, score = gradescope_seconds()
        print(f"\nGradescope path (first_gan zip, run_autograder, one reference submission): "
              f"{seconds:.1f} s wall, score {score}", flush=True)
    if args.batch <= 0:
        return
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "submissions"
        batch.mkdir()
        build_class(batch, args.batch)
        before = cpu_times()
        seconds, _ = timed([sys.executable, "-m", "autograder", "grade-all", "first_gan",
                            str(batch), "--out", str(Path(tmp) / "out"), "--jobs", str(args.jobs)])
        idle = idle_shares(before, cpu_times())
    cores = ", ".join(f"{core} {share:.0%}" for core, share in sorted(idle.items()))
    print(f"\nbatch: {args.batch} first_gan submissions (reference and release alternating), "
          f"--jobs {args.jobs}: {seconds:.1f} s wall ({seconds / 60:.1f} min), "
          f"{seconds / args.batch:.2f} s per submission; idle share per core: {cores}; "
          f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
