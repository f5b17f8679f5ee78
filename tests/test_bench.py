"""The measuring scripts of bench/: the distance-against-time plot (CPU, quick) and a smoke run of
bench/training.py with its seed loops (slow: MNIST, a few steps, two evaluations each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import plot_training  # noqa: E402
from training_table import target_met  # noqa: E402


def mark(assignment: str, seconds: float, fd: float, digits: int, confident: float, device: str,
         tag: str = "t", trainer: str | None = None) -> dict:
    return {"kind": "training", "assignment": assignment, "mark": seconds, "seconds": seconds,
            "steps": int(seconds * 10), "steps_per_s": 10.0, "fd": fd, "digits": digits,
            "confident": confident, "device": device, "tag": tag, "trainer": trainer,
            "machine": "x86_64, test"}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class TestTargetMet:
    def test_needs_nine_digits_and_eighty_percent(self):
        assert target_met({"digits": 9, "confident": 0.80})
        assert not target_met({"digits": 8, "confident": 0.95})
        assert not target_met({"digits": 10, "confident": 0.79})


class TestPlotTraining:
    def test_draws_a_png_with_a_gpu_and_a_cpu_panel(self, tmp_path):
        records = write_jsonl(tmp_path / "r.jsonl", [
            mark("first_gan", 30, 300.0, 10, 0.5, "cuda"),
            mark("first_gan", 60, 90.0, 10, 0.84, "cuda"),
            mark("gan_project", 60, 120.0, 9, 0.7, "cuda", trainer="pl"),
            mark("first_gan", 600, 150.0, 10, 0.71, "cpu", tag="quick"),
            {"kind": "seed_loop", "assignment": "first_gan", "steps_per_s": 98.6, "device": "cuda"},
            {"kind": "summary", "assignment": "first_gan", "ratio": 7.6, "device": "cuda"},
        ])
        out = tmp_path / "img" / "plot.png"
        assert plot_training.main([str(records), "--out", str(out)]) == 0
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_select_picks_runs_and_rejects_unknown_ones(self, tmp_path):
        rows = [mark("first_gan", 30, 300.0, 10, 0.5, "cuda", tag="a"),
                mark("first_gan", 30, 200.0, 10, 0.5, "cuda", tag="b"),
                mark("gan_project", 30, 100.0, 10, 0.5, "cuda", tag="a", trainer="pl")]
        runs = plot_training.select_runs(rows, ["first_gan=a", "gan_project:pl=a"])
        assert sorted(runs) == [("first_gan", "", "a", "GPU"), ("gan_project", "pl", "a", "GPU")]
        assert list(plot_training.select_runs(rows, ["b"])) == [("first_gan", "", "b", "GPU")]
        with pytest.raises(SystemExit, match="no training rows for first_gan=c"):
            plot_training.select_runs(rows, ["first_gan=c"])

    def test_a_run_measured_again_is_drawn_from_its_latest_file(self, tmp_path, capsys):
        before = [{**mark("gan_project", t, 300.0 - t, 10, 0.8, "cuda", trainer="pl"),
                   "date": "2026-12-07 12:06 UTC"} for t in (30, 60, 90)]
        again = [{**mark("gan_project", 30, 16.0, 10, 0.83, "cuda", trainer="pl"),
                  "date": "2026-12-07 13:24 UTC"}]
        other = [{**mark("first_gan", 30, 90.0, 10, 0.84, "cuda"), "date": "2026-12-07 12:00 UTC"}]
        # the later measurement named first on the command line: the date decides, not the order
        files = [write_jsonl(tmp_path / "pl.jsonl", again), write_jsonl(tmp_path / "all.jsonl", before + other)]
        runs = plot_training.select_runs(plot_training.load_rows(files), [])
        assert [r["fd"] for r in runs[("gan_project", "pl", "t", "GPU")]] == [16.0]
        assert [r["fd"] for r in runs[("first_gan", "", "t", "GPU")]] == [90.0]
        assert "in 2 files, drawn from the latest" in capsys.readouterr().err
        same_date = [{**r, "date": "2026-12-07 12:06 UTC"} for r in again]
        files = [write_jsonl(tmp_path / "all.jsonl", before), write_jsonl(tmp_path / "pl.jsonl", same_date)]
        runs = plot_training.select_runs(plot_training.load_rows(files), [])
        assert [r["fd"] for r in runs[("gan_project", "pl", "t", "GPU")]] == [16.0]   # tie: the last file

    def test_a_file_without_training_rows_fails_clearly(self, tmp_path):
        records = write_jsonl(tmp_path / "r.jsonl", [
            {"kind": "seed_loop", "assignment": "first_gan", "steps_per_s": 98.6, "device": "cuda"}])
        with pytest.raises(SystemExit, match="no training rows"):
            plot_training.main([str(records), "--out", str(tmp_path / "plot.png")])
        assert not (tmp_path / "plot.png").exists()

    def test_device_comes_from_machine_when_a_row_has_none(self):
        assert plot_training.device_of({"machine": "x86_64, 2 CPU cores, no GPU"}) == "CPU"
        assert plot_training.device_of({"machine": "x86_64, 16 CPU cores, NVIDIA H100"}) == "GPU"


class TestSummary:
    def test_met_not_met_and_not_judged(self):
        sys.path.insert(0, str(REPO / "bench"))
        import training

        rows = [mark("first_gan", 30, 300.0, 10, 0.5, "cuda"), mark("first_gan", 60, 90.0, 10, 0.84, "cuda"),
                mark("first_gan", 200, 80.0, 10, 0.9, "cuda")]
        s = training.summary(rows, seed_rate=5.0, target_seconds=180)
        assert (s["target_met"], s["first_met_s"], s["shipped_steps_per_s"], s["ratio"]) == (True, 60, 10.0, 2.0)
        s = training.summary(rows[:1] + [mark("first_gan", 180, 90.0, 8, 0.9, "cuda")], None, 180)
        assert (s["target_met"], s["first_met_s"], s["ratio"]) == (False, None, None)
        s = training.summary(rows[:1], None, 180)             # stopped at 30 s: not judged far enough
        assert s["target_met"] is None
        end = dict(rows[0], mark="end")                        # the run ended before 180 s: judged
        assert training.summary([end], None, 180)["target_met"] is False


class TestOverrides:
    def test_set_of_a_name_no_cell_assigns_stops_at_once(self):
        import training

        cells = [("settings", "lr = 2e-4\nbatch_size: int = 128\n"), ("train", "def f():\n    beta = 1\n")]
        assert training.notebook_variables(cells) == {"lr", "batch_size"}
        with pytest.raises(SystemExit, match="no cell of first_gan assigns lrr"):
            training.run_notebook("first_gan", training.Clock("first_gan", [], REPO, None, {}), {"lrr": 1e-4})

    def test_set_replaces_a_name_right_after_its_assignment(self):
        import training

        ns = {"__bench_overrides__": {"lr": 0.5}}
        exec(training.with_overrides("lr = 2e-4\nseen = lr\n", {"lr"}, "<cell>"), ns)
        assert ns["seen"] == ns["lr"] == 0.5


@pytest.mark.slow
@pytest.mark.mnist
@pytest.mark.skipif(not os.environ.get("GAN_COURSE_DATA"), reason="needs GAN_COURSE_DATA (MNIST)")
@pytest.mark.parametrize("assignment", ["first_gan", "dcgan"])
def test_training_bench_with_its_seed_loop_runs_on_a_cpu(assignment, tmp_path):
    log = tmp_path / "log.jsonl"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, "bench/training.py", assignment, "--budget", "5", "--step-marks", "50", "--seed-loop",
         "--seed-seconds", "2", "--threads", "1", "--out", str(tmp_path), "--log", str(log)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    kinds = [r["kind"] for r in rows]
    assert kinds[0] == "seed_loop" and kinds[-1] == "summary" and "training" in kinds
    assert rows[0]["steps_per_s"] > 0
    assert all(r["max_rss_mb"] > 50 for r in rows if r["kind"] == "training")  # MiB, torch loaded
    assert rows[-1]["seed_steps_per_s"] > 0 and rows[-1]["ratio"] > 0
    assert (tmp_path / f"{assignment}.png").exists()
    assert f"SUMMARY {assignment}:" in proc.stdout
