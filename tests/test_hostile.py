"""Hostile and broken submissions: each earns what it honestly earns, within the limits.

Every attack is planted in two submissions: the untouched release (it must score 0, like an
empty submission) and, where it makes sense, the reference solution (it must keep the points
the honest code earns). Limits are tightened so that hanging attacks end quickly.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from autograder.grading.grade import grade
from autograder.grading.results import write_json
from autograder.grading.sandbox import Limits
from autograder.paths import REPO, release_dir, solution_dir

A = "first_gan"
# Tight enough that hanging attacks end quickly, loose enough for two shared, busy cores.
FAST = Limits(cell_timeout=15, check_timeout=8, total_timeout=150)


def with_extra_cell(source_dir: Path, dest: Path, code: str, before: str | None = None) -> Path:
    """A copy of a notebook folder with one extra code cell (at the end, or before a cell)."""
    dest.mkdir(parents=True)
    nb = json.loads((source_dir / "first_gan.ipynb").read_text())
    cell = {"cell_type": "code", "metadata": {}, "source": code, "outputs": [],
            "execution_count": None}
    index = len(nb["cells"])
    if before:
        index = next(i for i, c in enumerate(nb["cells"])
                     if c["metadata"].get("nbgrader", {}).get("grade_id") == before)
    nb["cells"].insert(index, cell)
    (dest / "first_gan.ipynb").write_text(json.dumps(nb))
    return dest


def replace_cell(source_dir: Path, dest: Path, grade_id: str, code: str) -> Path:
    dest.mkdir(parents=True)
    nb = json.loads((source_dir / "first_gan.ipynb").read_text())
    for c in nb["cells"]:
        if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            c["source"] = code
    (dest / "first_gan.ipynb").write_text(json.dumps(nb))
    return dest


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            digest.update(str(p).encode() + p.read_bytes())
    return digest.hexdigest()


ATTACKS = {
    "os_exit": "import os\nos._exit(0)",
    "sys_exit": "import sys\nsys.exit(0)",
    "infinite_loop": "while True:\n    pass",
    "memory_bomb": "hog = bytearray(40 * 2**30)",
    "fork_bomb": ("import os\nfor _ in range(12):\n    try:\n        os.fork()\n"
                  "    except OSError:\n        break"),
    "huge_output": "for _ in range(200):\n    print('x' * 1_000_000)",
    "patch_torch_and_builtins": (
        "import builtins, torch, pytest\n"
        "pytest.approx = lambda *a, **k: 0\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.equal = lambda *a, **k: True\n"
        "torch.Tensor.__eq__ = lambda *a, **k: True\n"
        "torch.Tensor.tolist = lambda self: [0.0]\n"
        "torch.Tensor.mean = lambda *a, **k: torch.tensor(0.0)\n"
        "builtins.isinstance = lambda *a: True\n"),
    "patch_the_observers": (
        "import autograder.child.observe as ob, autograder.checks as ch\n"
        "ob.tensor_info = lambda *a, **k: {'shape': [1000, 4], 'dtype': 'float32',"
        " 'device': 'cpu', 'min': -3.0, 'max': 3.0, 'mean': 0.0, 'std': 1.0}\n"
        "ch.Verdict.__init__ = lambda self, *a, **k: object.__setattr__(self, 'passed', True)\n"),
    "patch_observer_methods": (
        "import torch\n"
        "torch.equal = lambda *a, **k: True\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.Tensor.norm = lambda *a, **k: torch.tensor(1.0)\n"
        "torch.Tensor.__eq__ = lambda *a, **k: True\n"
        "torch.nn.Module.modules = lambda self: iter([torch.nn.Linear(25, 12)])\n"
        "torch.nn.Module.children = lambda self: iter(())\n"
        "torch.nn.Module.named_parameters = lambda self, *a, **k: iter(())\n"),
    "rewrite_the_observers_through_gc": (
        "import gc\n"
        "def fake(ns, p):\n"
        "    return {'noise': {'shape': [p.get('n', 1000), p.get('z_dim', 4)], 'dtype': 'float32',"
        " 'device': 'cpu', 'requires_grad': False, 'has_graph': False, 'min': -3.0, 'max': 3.0,"
        " 'mean': 0.0, 'std': 1.0, 'finite': True}, 'repeats': False}\n"
        "for o in gc.get_objects():\n"
        "    if type(o).__name__ == 'function' and getattr(o, '__name__', '').startswith('observe'):\n"
        "        o.__code__ = fake.__code__\n"
        "    if type(o).__name__ == 'Check':\n"
        "        g = o.observe.__globals__\n"
        "        g['ob'] = None\n"),
    "forge_reports_from_a_thread": (
        "import json, os, threading, time\n"
        "import autograder.checks as ch\n"
        "names = [c.name for c in ch.load_checks('first_gan')]\n"
        "def forge():\n"
        "    while True:\n"
        "        for name in names:\n"
        "            for event in ({'event': 'done', 'step': name, 'observation': {}},"
        " {'event': 'ready'}):\n"
        "                for fd in range(3, 16):\n"
        "                    try:\n"
        "                        os.write(fd, (json.dumps(event) + '\\n').encode())\n"
        "                    except OSError:\n"
        "                        pass\n"
        "        time.sleep(0.001)\n"
        "threading.Thread(target=forge, daemon=True).start()\n"),
    "vandalise_the_host": (
        "import glob, os, shutil\n"
        "for folder in ('/tmp', '/var/tmp', '/dev/shm', '/root'):\n"
        "    for path in glob.glob(os.path.join(folder, 'gan-sentinel-*')):\n"
        "        try:\n"
        "            open(path, 'w').write('vandalised')\n"
        "        except OSError:\n"
        "            pass\n"
        "for path in ('REPO_PATH/README.md', 'REPO_PATH/autograder/__init__.py'):\n"
        "    try:\n"
        "        open(path, 'a').write('# vandalised')\n"
        "    except OSError:\n"
        "        pass\n"
        "for path in ('REPO_PATH/new_file.py', '/tmp/gan-planted.py'):\n"
        "    try:\n"
        "        open(path, 'w').write('planted')\n"
        "    except OSError:\n"
        "        pass\n").replace("REPO_PATH", str(REPO)),
    "write_fake_events": (
        "import os, json\n"
        "for fd in range(3, 64):\n"
        "    try:\n"
        "        os.write(fd, b'{\"event\": \"finished\"}\\n')\n"
        "    except OSError:\n"
        "        pass\n"),
    "search_disk_for_solutions": (
        "import os\nfound = []\n"
        "for root in ('/work', '/tmp', '/root', '/home'):\n"
        "    for d, _, files in os.walk(root):\n"
        "        for f in files:\n"
        "            if f.endswith(('.ipynb', '.py')):\n"
        "                try:\n"
        "                    text = open(os.path.join(d, f), errors='ignore').read()\n"
        "                except OSError:\n"
        "                    continue\n"
        "                if 'BEGIN SOLUTION' in text and 'def get_noise' in text:\n"
        "                    found.append(os.path.join(d, f))\n"
        "for path in found:\n"
        "    import json as _j\n"
        "    try:\n"
        "        cells = _j.load(open(path))['cells']\n"
        "    except Exception:\n"
        "        continue\n"
        "    for c in cells:\n"
        "        if c['cell_type'] == 'code' and 'check(' not in ''.join(c['source']):\n"
        "            try:\n"
        "                exec(''.join(c['source']))\n"
        "            except Exception:\n"
        "                pass\n"),
    "delete_and_edit_grader_files": (
        "import os, shutil, site\n"
        "for path in ('REPO/tests', 'REPO/solutions', 'REPO/autograder/assignments'):\n"
        "    shutil.rmtree(path.replace('REPO', os.environ.get('R', 'REPO_PATH')), True)\n"
        "for d in site.getsitepackages():\n"
        "    try:\n"
        "        open(os.path.join(d, 'zz_evil.pth'), 'w').write('import os; os._exit(0)')\n"
        "    except OSError:\n"
        "        pass\n"
        "try:\n"
        "    open('REPO_PATH/autograder/checks.py', 'a').write('\\nraise SystemExit')\n"
        "except OSError:\n"
        "    pass\n").replace("REPO_PATH", str(REPO)),
}


SENTINEL_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/root")


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module", autouse=True)
def host_before():
    """Sentinel files outside the checkout, and the checkout's git status, before the suite."""
    sentinels = {}
    for folder in SENTINEL_FOLDERS:
        if os.path.isdir(folder):
            path = Path(folder) / f"gan-sentinel-{uuid.uuid4().hex[:8]}"
            path.write_text("untouched")
            path.chmod(0o666)  # even a world-writable file must stay as it is
            sentinels[path] = "untouched"
    yield {"sentinels": sentinels, "git": git_status()}
    for path in sentinels:
        path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def honest_score():
    return grade(A, solution_dir(A), limits=FAST).score


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_on_the_release_scores_zero(attack, tmp_path):
    before = tree_digest(REPO / "autograder")
    started = time.monotonic()
    result = grade(A, with_extra_cell(release_dir(A), tmp_path / "s", ATTACKS[attack]), limits=FAST)
    assert result.score == 0, {c.name: c.message for c in result.checks if c.passed}
    assert time.monotonic() - started < FAST.total_timeout + 30
    assert all(c.message for c in result.checks), "every failed check explains itself"
    assert tree_digest(REPO / "autograder") == before, "the submission changed the grader"
    assert (REPO / "solutions" / A).is_dir() and (REPO / "tests").is_dir()


@pytest.mark.parametrize("attack", ["os_exit", "sys_exit", "infinite_loop", "memory_bomb",
                                    "huge_output", "write_fake_events", "patch_observer_methods",
                                    "rewrite_the_observers_through_gc", "vandalise_the_host"])
def test_attack_beside_honest_code_keeps_the_honest_points(attack, tmp_path, honest_score):
    result = grade(A, with_extra_cell(solution_dir(A), tmp_path / "s", ATTACKS[attack]),
                   limits=FAST)
    assert result.score == honest_score, {c.name: c.message for c in result.checks if not c.passed}
    if attack in ("os_exit", "sys_exit", "infinite_loop", "memory_bomb"):
        assert any("your cell" in n for n in result.notes), result.notes


def test_hang_inside_a_graded_function_times_out_that_check_only(tmp_path, honest_score):
    sub = replace_cell(solution_dir(A), tmp_path / "s", "get_generator_block",
                       "def get_generator_block(input_dim, output_dim):\n    while True:\n"
                       "        pass\n")
    result = grade(A, sub, limits=Limits(cell_timeout=15, check_timeout=3, total_timeout=150))
    checks = {c.name: c for c in result.checks}
    assert "Did not finish within" in checks["get_generator_block_layers"].message
    assert checks["get_noise"].passed and checks["get_disc_loss_value"].passed
    assert 0 < result.score < honest_score


def test_lying_tensor_subclass_does_not_fool_the_observers(tmp_path):
    code = (
        "import torch\n"
        "class Liar(torch.Tensor):\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        out = super().__torch_function__(func, types, args, kwargs or {})\n"
        "        if func.__name__ in ('mean',):\n"
        "            return torch.tensor(0.0)\n"
        "        if func.__name__ in ('std',):\n"
        "            return torch.tensor(1.0)\n"
        "        if func.__name__ in ('min',):\n"
        "            return torch.tensor(-3.0)\n"
        "        return out\n"
        "def get_noise(n_samples, z_dim, device='cpu'):\n"
        "    return torch.rand(n_samples, z_dim, device=device).as_subclass(Liar)\n")
    result = grade(A, replace_cell(release_dir(A), tmp_path / "s", "get_noise", code), limits=FAST)
    checks = {c.name: c for c in result.checks}
    assert not checks["get_noise"].passed
    assert "torch.rand" in checks["get_noise"].message


def test_background_process_cannot_rewrite_results_after_grading(tmp_path):
    out = tmp_path / "out" / "results.json"
    code = ("import subprocess\n"
            f"subprocess.Popen(['bash', '-c', 'sleep 2; echo HACKED > {out}'],"
            " start_new_session=True)\n")
    result = grade(A, with_extra_cell(release_dir(A), tmp_path / "s", code), limits=FAST)
    write_json(result.to_gradescope(), out)
    time.sleep(4)
    data = json.loads(out.read_text())
    assert data["score"] == 0


# --- broken submissions ------------------------------------------------------------------

@pytest.mark.parametrize("content, says", [
    (b"", "is empty"),
    (b'{"cells": [{"cell_type": "code", "source": "x = ', "not valid notebook JSON"),
    (b"print('hello')\n", "is not a notebook: it is a Python script"),
    (b"\xff\xfe\x00garbage\x80", "not UTF-8"),
    (b'{"hello": "world"}', "not a Jupyter notebook"),
    # Exports saved under the notebook's name (#27): called what they are, not "truncated".
    (b"# Your First GAN\n\nGoals: build a generator.\n\n```python\nimport torch\n```\n",
     "is not a notebook: it is a Markdown file"),
    (b"<!DOCTYPE html>\n<html><head><title>first_gan</title></head><body></body></html>\n",
     "is not a notebook: it is an HTML page"),
], ids=["zero_bytes", "truncated", "not_json", "not_utf8", "json_but_not_a_notebook",
        "markdown_export", "html_export"])
def test_unreadable_notebook_scores_zero_with_a_clear_message(content, says, tmp_path):
    (tmp_path / "first_gan.ipynb").write_bytes(content)
    result = grade(A, tmp_path, limits=FAST)
    assert result.score == 0
    assert says in result.notes[0]
    assert all(says in c.message for c in result.checks)


def test_syntax_error_in_one_cell_keeps_credit_for_the_others(tmp_path, honest_score):
    sub = replace_cell(solution_dir(A), tmp_path / "s", "get_noise",
                       "def get_noise(n_samples, z_dim, device='cpu')\n    return None\n")
    result = grade(A, sub, limits=FAST)
    checks = {c.name: c for c in result.checks}
    assert any("syntax error" in n and "get_noise" in n for n in result.notes), result.notes
    message = checks["get_noise"].message
    assert not checks["get_noise"].passed and "`get_noise` was not defined when this check ran" in message
    assert checks["get_generator_block_layers"].passed and checks["Discriminator_structure"].passed
    assert 0 < result.score < honest_score


def test_deleted_cell_is_named_and_the_rest_graded(tmp_path):
    dest = tmp_path / "s"
    dest.mkdir()
    nb = json.loads((solution_dir(A) / "first_gan.ipynb").read_text())
    nb["cells"] = [c for c in nb["cells"]
                   if c["metadata"].get("nbgrader", {}).get("grade_id") != "get_discriminator_block"]
    (dest / "first_gan.ipynb").write_text(json.dumps(nb))
    result = grade(A, dest, limits=FAST)
    assert any("no cell has the id get_discriminator_block" in n for n in result.notes)
    checks = {c.name: c for c in result.checks}
    assert "Your notebook defines no `get_discriminator_block`" in (
        checks["get_discriminator_block_layers"].message)
    assert checks["get_noise"].passed


def test_cell_that_raises_does_not_stop_the_rest(tmp_path, honest_score):
    sub = with_extra_cell(solution_dir(A), tmp_path / "s", "1 / 0", before="get_noise")
    result = grade(A, sub, limits=FAST)
    assert result.score == honest_score
    assert any("ZeroDivisionError" in n for n in result.notes)


def test_wrong_file_name_and_junk_in_the_folder(tmp_path, honest_score):
    dest = tmp_path / "s"
    (dest / "junk" / "deeper").mkdir(parents=True)
    (dest / "my_first_gan_final_v2.ipynb").write_bytes(
        (solution_dir(A) / "first_gan.ipynb").read_bytes())
    (dest / "junk" / "deeper" / "data.bin").write_bytes(bytes(range(256)) * 100)
    (dest / "conftest.py").write_text("import os\nos._exit(0)\n")
    (dest / "sitecustomize.py").write_text("import os\nos._exit(0)\n")
    (dest / "evil.pth").write_text("import os; os._exit(0)\n")
    result = grade(A, dest, limits=FAST)
    assert result.score == honest_score
    assert any("my_first_gan_final_v2.ipynb" in n for n in result.notes)


def test_grading_is_deterministic_over_five_runs(tmp_path):
    sub = replace_cell(solution_dir(A), tmp_path / "s", "get_disc_loss",
                       (solution_dir(A) / "first_gan.pct.py").read_text().split(
                           "def get_disc_loss")[0][:0] + "def get_disc_loss(*a):\n    return 1.0\n")
    runs = []
    for _ in range(5):
        data = grade(A, sub, limits=FAST).to_gradescope()
        data.pop("execution_time")
        runs.append(json.dumps(data, sort_keys=True))
    assert len(set(runs)) == 1


def test_whole_submission_time_limit(tmp_path):
    sub = with_extra_cell(solution_dir(A), tmp_path / "s", "import time\ntime.sleep(9)")
    sub_nb = json.loads((sub / "first_gan.ipynb").read_text())
    sub_nb["cells"].insert(0, dict(sub_nb["cells"][-1]))          # two slow cells
    (sub / "first_gan.ipynb").write_text(json.dumps(sub_nb))
    started = time.monotonic()
    result = grade(A, sub, limits=Limits(cell_timeout=20, check_timeout=6, total_timeout=14))
    assert time.monotonic() - started < 14 + 15
    assert result.score < result.max_score
    assert any("longer than 14" in c.message for c in result.checks)


def test_the_host_is_unchanged_after_the_hostile_suite(host_before):
    """Runs last: the checkout's git status and every sentinel file are as they were."""
    for path, content in host_before["sentinels"].items():
        assert path.read_text() == content, f"{path} was changed"
    assert not Path("/tmp/gan-planted.py").exists()
    assert git_status() == host_before["git"], "the suite changed the grader's checkout"
