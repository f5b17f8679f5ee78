"""Draw bench/training.py's records: the evaluator's distance against training time, GPU and CPU.

    python bench/plot_training.py bench/records/*.jsonl --out docs/img/distance_vs_time.png \\
        --select first_gan=shipped-full-run gan_project:pl=pl_shipped_alone ...

One panel for the GPU runs and one for the CPU runs (a row's ``device``, else its ``machine``).
Each run (assignment, trainer, tag, device) is one line through its marks: the Fréchet distance
(log scale) against the seconds of training at that mark. A filled marker is a mark that meets the
target (at least 9 digits with 2 % each, at least 80 % recognisable: ``training_table.target_met``),
a hollow one a mark that does not. The dashed line is the time allowed: 180 s on a GPU, 900 s
(15 minutes) on a CPU.

``--select`` picks the runs (without it, every run in the files):

* ``ASSIGNMENT=TAG``: that assignment's rows with that tag (``first_gan=shipped-full-run``);
* ``ASSIGNMENT:TRAINER=TAG``: gan_project's script too (``gan_project:pl=pl_shipped_alone``);
* ``TAG``: every assignment's rows with that tag (``record-speed``).

An empty tag is written ``first_gan=``. A selection that matches no row is an error, as is a set
of files with no training rows.

A run found in more than one file (the same assignment, trainer, tag and device: a run measured
again) is drawn from the file whose rows are the latest (their ``date``; on a tie, the file named
last), and the script says so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from training_table import target_met  # noqa: E402

LIMITS = {"GPU": 180.0, "CPU": 900.0}   # seconds of training the target allows on each
ORDER = ["first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "dcgan", "gan_project"]


def device_of(row: dict) -> str:
    """'GPU' or 'CPU': the row's ``device``, else what its ``machine`` says."""
    device = row.get("device")
    if device:
        return "GPU" if device.startswith("cuda") else "CPU"
    return "CPU" if "no GPU" in row.get("machine", "no GPU") else "GPU"


def run_key(row: dict) -> tuple[str, str, str, str]:
    return (row["assignment"], row.get("trainer") or "", row.get("tag") or "", device_of(row))


def label(key: tuple[str, str, str, str]) -> str:
    assignment, trainer, tag, _ = key
    name = assignment + (f" ({'train_pl' if trainer == 'pl' else 'train_torch'})" if trainer else "")
    return name + (f" [{tag}]" if tag else "")


def parse_selection(item: str) -> tuple[str | None, str | None, str]:
    """``ASSIGNMENT[:TRAINER]=TAG`` or ``TAG`` -> (assignment or None, trainer or None, tag)."""
    if "=" not in item:
        return None, None, item
    who, tag = item.split("=", 1)
    assignment, _, trainer = who.partition(":")
    return assignment, trainer or None, tag


def matches(row: dict, selection: tuple[str | None, str | None, str]) -> bool:
    assignment, trainer, tag = selection
    return ((row.get("tag") or "") == tag
            and (assignment is None or row["assignment"] == assignment)
            and (trainer is None or (row.get("trainer") or "") == trainer))


def load_rows(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{number}: not a JSON line ({e.msg})") from None
            rows.append({**row, "_file": str(path)})
    return rows


def select_runs(rows: list[dict], selections: list[str]) -> dict[tuple, list[dict]]:
    """The training rows of the selected runs, grouped by run and sorted by time."""
    training = [r for r in rows if r.get("kind") == "training" and r.get("fd") is not None]
    if not training:
        raise SystemExit("no training rows in these files: nothing to draw (bench/training.py writes "
                         'them, one JSON line per mark with "kind": "training")')
    if selections:
        parsed = [(item, parse_selection(item)) for item in selections]
        unmatched = [item for item, sel in parsed if not any(matches(r, sel) for r in training)]
        if unmatched:
            tags = sorted({f"{r['assignment']}{':' + r['trainer'] if r.get('trainer') else ''}={r.get('tag') or ''}"
                           for r in training})
            raise SystemExit(f"--select: no training rows for {', '.join(unmatched)}; the files have: "
                             + " ".join(tags))
        training = [r for r in training if any(matches(r, sel) for _, sel in parsed)]
    by_file: dict[tuple, dict[str, list[dict]]] = {}   # run -> file -> its rows (files in order)
    for row in training:
        by_file.setdefault(run_key(row), {}).setdefault(row.get("_file", ""), []).append(row)
    runs: dict[tuple, list[dict]] = {}
    for key, files in by_file.items():
        order = list(files)
        latest = max(order, key=lambda f: (max(r.get("date") or "" for r in files[f]), order.index(f)))
        if len(files) > 1:
            print(f"{label(key)} ({key[3]}): in {len(files)} files, drawn from the latest, {latest}",
                  file=sys.stderr)
        runs[key] = sorted(files[latest], key=lambda r: r["seconds"])
    return runs


def draw(runs: dict[tuple, list[dict]], out: Path, title: str = "") -> None:
    import matplotlib.pyplot as plt

    panels = [d for d in ("GPU", "CPU") if any(key[3] == d for key in runs)]
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 6.5), squeeze=False)
    colors = plt.get_cmap("tab10").colors
    names = sorted({(k[0], k[1]) for k in runs}, key=lambda n: (ORDER.index(n[0]) if n[0] in ORDER else 99, n))
    color_of = {name: colors[i % len(colors)] for i, name in enumerate(names)}
    styles = ["-", "--", ":", "-."]
    for ax, panel in zip(axes[0], panels, strict=True):
        keys = sorted((k for k in runs if k[3] == panel), key=lambda k: (names.index((k[0], k[1])), k[2]))
        seen: dict[tuple, int] = {}
        for key in keys:
            marks = runs[key]
            color = color_of[(key[0], key[1])]
            style = styles[seen.setdefault((key[0], key[1]), 0) % len(styles)]
            seen[(key[0], key[1])] += 1
            xs, ys = [r["seconds"] for r in marks], [r["fd"] for r in marks]
            ax.plot(xs, ys, style, color=color, linewidth=1.5, label=label(key))
            for r in marks:
                met = target_met(r)
                ax.plot(r["seconds"], r["fd"], "o", markersize=7, color=color,
                        markerfacecolor=color if met else "white", markeredgewidth=1.5, zorder=3)
        limit = LIMITS[panel]
        ax.axvline(limit, color="black", linestyle="--", linewidth=1, zorder=1)
        ax.text(limit, 1.0, f" {limit:g} s", transform=ax.get_xaxis_transform(), va="top", ha="left",
                fontsize=8)
        ax.set_yscale("log")
        right = max([limit] + [r["seconds"] for k in keys for r in runs[k]])
        ax.set_xlim(0, right * 1.06)
        ax.set_xlabel("training time (s)")
        ax.set_ylabel("Fréchet distance to MNIST-test (log)")
        ax.set_title(f"{panel}: filled = target met (>= 9 digits, >= 80 % recognisable)", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path, nargs="+", help="JSON-lines files of bench/training.py")
    parser.add_argument("--out", type=Path, default=Path("docs/img/distance_vs_time.png"))
    parser.add_argument("--select", nargs="+", default=[], metavar="[ASSIGNMENT[:TRAINER]=]TAG",
                        help="the runs to draw (default: all)")
    parser.add_argument("--title", default="")
    args = parser.parse_args(argv)
    runs = select_runs(load_rows(args.records), args.select)
    draw(runs, args.out, args.title)
    print(f"{args.out}: {len(runs)} runs, {sum(len(m) for m in runs.values())} marks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
