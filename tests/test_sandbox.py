"""The sandbox holds: files are read safely, the jail keeps the host unchanged, limits are totals.

Reading tests never start a child (the submission is refused before). Jail tests run one child
with a probe cell (:func:`probe`), which prints what it could do as one JSON line; the test then
also looks at the host: every file the probe tried to write outside its jail must be absent.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import threading
import uuid
from pathlib import Path

import pytest

from autograder.grading import feedback, safe_read, sandbox, submission
from autograder.grading.grade import grade
from autograder.grading.sandbox import Limits
from autograder.paths import REPO, solution_dir

A = "first_gan"
FAST = Limits(cell_timeout=20, check_timeout=10, total_timeout=60)
MARK = "PROBE-RESULT:"

needs_bwrap = pytest.mark.skipif(sandbox.jail_kind() != "bwrap",
                                 reason="bubblewrap does not work on this host")


def probe(code: str, limits: Limits = FAST) -> tuple[dict, sandbox.Run]:
    """Run ``code`` as the only cell of a child; it sets ``result`` (a dict), which is printed."""
    cell = code + f"\nprint({MARK!r} + __import__('json').dumps(result))\n"
    request = {"assignment": A, "kind": "notebook", "modules": [], "checks": [],
               "cells": [{"step": "cell:probe", "label": "probe", "source": cell,
                          "origin": "student"}]}
    run = sandbox.observe(request, [("cell:probe", limits.cell_timeout)], {}, limits)
    lines = [line for line in run.output.splitlines() if line.startswith(MARK)]
    found = json.loads(lines[-1][len(MARK):]) if lines else {}
    return found, run


# --- reading the submission --------------------------------------------------------------

def notebook_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("target", [
    str(solution_dir(A) / "first_gan.ipynb"), "/etc/shadow", "/proc/self/environ", "/dev/zero",
], ids=["reference_solution", "etc_shadow", "proc_environ", "dev_zero"])
def test_a_link_named_like_the_notebook_is_refused(target, tmp_path):
    folder = notebook_folder(tmp_path)
    (folder / "first_gan.ipynb").symlink_to(target)
    result = grade(A, folder, limits=FAST)
    assert result.score == 0
    assert "first_gan.ipynb is a symbolic link" in result.notes[0], result.notes
    assert "root:" not in json.dumps(result.to_gradescope())  # nothing of /etc/shadow quoted


@pytest.mark.parametrize("target", ["/etc/shadow", "/dev/zero", "solution"])
def test_a_link_named_like_a_module_is_refused(target, tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    if target == "solution":
        target = str(solution_dir("gan_project") / "models.py")
    (folder / "models.py").symlink_to(target)
    with pytest.raises(submission.SubmissionError, match="models.py is a symbolic link"):
        submission.load_module_program("gan_project", folder, {"models.py": "student"})


def test_a_fifo_is_refused_at_once(tmp_path):
    folder = notebook_folder(tmp_path)
    os.mkfifo(folder / "first_gan.ipynb")
    with pytest.raises(submission.SubmissionError, match="is a FIFO"):
        submission.read_notebook(folder / "first_gan.ipynb")  # would block if opened blocking


def test_a_device_is_refused(tmp_path):
    with pytest.raises(safe_read.UnsafeFile, match="is a device"):
        safe_read.read_bytes(Path("/dev/zero"))


def test_a_folder_named_like_the_notebook_or_a_module_is_refused(tmp_path):
    folder = notebook_folder(tmp_path)
    (folder / "first_gan.ipynb").mkdir()
    result = grade(A, folder, limits=FAST)
    assert result.score == 0 and "first_gan.ipynb is a folder" in result.notes[0]
    modules = tmp_path / "m"
    (modules / "models.py").mkdir(parents=True)
    with pytest.raises(submission.SubmissionError, match="models.py is a folder"):
        submission.load_module_program("gan_project", modules, {"models.py": "student"})


def test_the_search_never_enters_a_linked_folder(tmp_path):
    folder = notebook_folder(tmp_path)
    (folder / "linked").symlink_to(solution_dir(A), target_is_directory=True)
    with pytest.raises(submission.SubmissionError, match="No notebook"):
        submission.find_notebook(folder, "first_gan.ipynb", [])
    modules = tmp_path / "m"
    modules.mkdir()
    (modules / "sub").symlink_to(solution_dir("gan_project"), target_is_directory=True)
    program = submission.load_module_program("gan_project", modules, {"models.py": "student"})
    assert "models.py is missing" in program.notes[0]  # the release's stub, not the solution


def test_a_file_below_a_linked_folder_is_refused(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "sub").symlink_to(solution_dir("gan_project"), target_is_directory=True)
    with pytest.raises(safe_read.UnsafeFile, match="sub is a symbolic link"):
        safe_read.read_bytes(folder / "sub" / "models.py", root=folder)


def test_size_is_checked_before_reading(tmp_path):
    big = tmp_path / "first_gan.ipynb"
    with open(big, "wb") as f:
        f.truncate(safe_read.MAX_BYTES + 1)  # sparse: nothing is written, nothing read
    with pytest.raises(submission.SubmissionError, match="the limit is 30 MB"):
        submission.read_notebook(big)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_a_message(tmp_path):
    path = tmp_path / "first_gan.ipynb"
    path.write_text("{}")
    path.chmod(0)
    with pytest.raises(submission.SubmissionError, match="could not be read"):
        submission.read_notebook(path)


def test_nbformat_3_notebook_is_converted(tmp_path):
    import nbformat

    nb = nbformat.read(solution_dir(A) / "first_gan.ipynb", as_version=4)
    old = nbformat.convert(nb, 3)
    assert "worksheets" in old
    path = tmp_path / "first_gan.ipynb"
    path.write_text(json.dumps(old))
    cells = submission.read_notebook(path)["cells"]
    ids = [submission.grade_id(c) for c in cells if c["cell_type"] == "code"]
    assert "get_noise" in ids and "Generator" in ids
    noise = next(c for c in cells if submission.grade_id(c) == "get_noise")
    assert "torch.randn" in noise["source"]


def test_broken_nbformat_3_notebook_says_so(tmp_path):
    path = tmp_path / "first_gan.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "worksheets": [{"cells": [{"cell_type": 7}]}]}))
    with pytest.raises(submission.SubmissionError, match="nbformat-3"):
        submission.read_notebook(path)


# --- the jail ----------------------------------------------------------------------------

OUTSIDE = ["/tmp", "/var/tmp", "/dev/shm", "/root", str(REPO), str(REPO / "autograder"),
           os.path.expanduser("~/.local")]


@pytest.fixture(scope="module")
def jail_probe():
    """One child that tries every escape at once; the names it tried to write on the host."""
    tag = uuid.uuid4().hex[:10]
    host_socket = f"/tmp/gan-test-{tag}.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(host_socket)
    server.listen(1)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0gan-test-{tag}")
    abstract.listen(1)
    classmate = Path(f"/tmp/gan-grade-classmate-{tag}")
    classmate.mkdir(mode=0o755)
    (classmate / "first_gan.ipynb").write_text("classmate's work")
    core_pattern = Path("/proc/sys/kernel/core_pattern").read_text()
    code = f"""
import glob, os, socket, site, sys
result = {{"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
          "cwd": os.getcwd(), "home": os.environ.get("HOME")}}
def attempt(name, action):
    try:
        action()
        result[name] = "done"
    except Exception as exc:
        result[name] = type(exc).__name__
def write(path):
    with open(path, "w") as f:
        f.write("planted")
for i, folder in enumerate({OUTSIDE!r}):
    attempt("write " + folder, lambda: write(os.path.join(folder, "gan-sentinel-{tag}")))
attempt("write ~/.local pth", lambda: (os.makedirs(site.getusersitepackages(), exist_ok=True),
        write(os.path.join(site.getusersitepackages(), "zz_{tag}.pth"))))
for d in site.getsitepackages():
    attempt("write site-packages", lambda: write(os.path.join(d, "zz_{tag}.pth")))
attempt("read /etc/shadow", lambda: open("/etc/shadow").read())
attempt("write core_pattern", lambda: write("/proc/sys/kernel/core_pattern"))
for group in glob.glob("/sys/fs/cgroup/**/cgroup.procs", recursive=True)[:50]:
    attempt("cgroup escape", lambda: write(group) if False else open(group, "w").write(str(os.getpid())))
    if result["cgroup escape"] == "done":
        result["escaped to"] = group
        break
s = socket.socket(socket.AF_UNIX)
attempt("connect host socket", lambda: s.connect("{host_socket}"))
a = socket.socket(socket.AF_UNIX)
attempt("connect abstract socket", lambda: a.connect("\\0gan-test-{tag}"))
attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=2))
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def new_user_namespace():
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        raise OSError(ctypes.get_errno(), "unshare")
attempt("unshare user", new_user_namespace)
result["classmate"] = [p for p in glob.glob("/tmp/gan-grade-*")]
result["solutions"] = os.path.isdir("{REPO / 'solutions' / A}")
result["tests"] = os.listdir("{REPO / 'tests'}") if os.path.isdir("{REPO / 'tests'}") else None
result["environ"] = open("/proc/self/environ").read()
"""
    try:
        found, run = probe(code)
    finally:
        server.close()
        abstract.close()
        os.unlink(host_socket)
        (classmate / "first_gan.ipynb").unlink()
        classmate.rmdir()
    return {"found": found, "run": run, "tag": tag, "core_pattern": core_pattern}


@needs_bwrap
def test_the_child_is_nobody_in_its_own_folder(jail_probe):
    found = jail_probe["found"]
    assert (found["uid"], found["gid"], found["groups"]) == (65534, 65534, [65534]) or \
        (found["uid"], found["gid"]) == (65534, 65534), found
    assert found["cwd"] == found["home"] == "/tmp/submission"
    assert jail_probe["run"].jail == "bwrap"


@needs_bwrap
@pytest.mark.parametrize("folder", OUTSIDE)
def test_nothing_is_written_outside_the_jail(jail_probe, folder):
    sentinel = Path(folder) / f"gan-sentinel-{jail_probe['tag']}"
    assert not sentinel.exists(), f"the child wrote {sentinel} on the host"


@needs_bwrap
def test_no_pth_is_planted_on_the_host(jail_probe):
    import site

    tag = jail_probe["tag"]
    for folder in [site.getusersitepackages(), *site.getsitepackages()]:
        assert not (Path(folder) / f"zz_{tag}.pth").exists()
    assert jail_probe["found"]["write site-packages"] != "done"


@needs_bwrap
@pytest.mark.parametrize("attempt", ["read /etc/shadow", "write core_pattern", "cgroup escape",
                                     "connect host socket", "connect abstract socket", "network",
                                     "unshare user"])
def test_escape_attempts_fail(jail_probe, attempt):
    found = jail_probe["found"]
    assert found.get(attempt, "not tried") != "done", (attempt, found.get("escaped to"))


@needs_bwrap
def test_the_kernel_knobs_are_unchanged(jail_probe):
    assert Path("/proc/sys/kernel/core_pattern").read_text() == jail_probe["core_pattern"]


@needs_bwrap
def test_no_other_submission_or_hidden_folder_is_visible(jail_probe):
    found = jail_probe["found"]
    assert found["classmate"] == [], "the host's /tmp (classmates' folders) is visible"
    assert found["solutions"] is False and found["tests"] == []
    assert set(k.split("=")[0] for k in found["environ"].split("\0") if k) <= set(
        sandbox.clean_env("/").keys()) | {"PWD"}, "only the clean environment reaches the child"


@needs_bwrap
def test_a_concurrent_classmate_cannot_be_read(tmp_path):
    """Two children at once: the second searches the whole disk for the first one's file."""
    tag = uuid.uuid4().hex[:10]
    first = {"assignment": A, "kind": "notebook", "modules": [], "checks": [],
             "cells": [{"step": "cell:a", "label": "a", "origin": "student", "source":
                        f"open('secret-{tag}.txt', 'w').write('mine')\nimport time\ntime.sleep(12)"}]}
    thread = threading.Thread(target=sandbox.observe,
                              args=(first, [("cell:a", 30)], {f"notes-{tag}.txt": b"mine"}, FAST))
    thread.start()
    try:
        found, _ = probe(f"""
import os, time
time.sleep(3)
hits = []
for root, dirs, files in os.walk("/"):
    if root.startswith(("/proc", "/sys")):
        dirs[:] = []
        continue
    hits += [os.path.join(root, f) for f in files if "{tag}" in f]
result = {{"hits": hits}}
""")
    finally:
        thread.join()
    assert found == {"hits": []}


@needs_bwrap
def test_memory_is_limited_for_all_processes_together():
    """Five processes of 700 MiB each under a total of 2000 MiB: the cgroup stops them."""
    limits = Limits(cell_timeout=60, check_timeout=10, total_timeout=90, memory_mb=2000)
    code = """
import os
sizes = []
pids = []
for i in range(5):
    pid = os.fork()
    if pid == 0:
        held = []
        try:
            for step in range(14):
                held.append(bytearray(50 << 20))   # 50 MiB, touched (zeroed) at once
                with open(f"/tmp/mem-{i}", "w") as f:
                    f.write(str(len(held) * 50))
        except MemoryError:
            pass
        import time
        time.sleep(3)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
total = sum(int(open(f"/tmp/mem-{i}").read() or 0) for i in range(5) if os.path.exists(f"/tmp/mem-{i}"))
result = {"held_mib": total}
"""
    found, run = probe(code, limits)
    if not any(s.startswith("memory") and "cgroup" in s for s in run.limits):
        pytest.skip(f"no memory cgroup on this host: {run.limits}")
    held = found.get("held_mib")
    if held is None:  # the OOM killer chose the cell's own process
        assert run.steps["cell:probe"]["error"]["kind"] == "crashed", run.steps
    # Processes the kernel's OOM killer ended report what they held before; all together they
    # never held more than the limit at once, so not every process reached its 700 MiB.
    assert held is None or held < 5 * 700, (held, run.steps)


@needs_bwrap
def test_disk_is_limited_by_the_tmpfs():
    limits = Limits(cell_timeout=30, check_timeout=10, total_timeout=60, disk_mb=64)
    code = """
import os
written = {}
for folder in ("/tmp/submission", "/tmp", "/dev/shm"):
    written[folder] = 0
    try:
        for i in range(100):
            with open(os.path.join(folder, f"fill-{i}"), "wb") as f:
                f.write(b"x" * (16 << 20))
            written[folder] += 16
    except OSError:
        pass
result = written
"""
    found, _ = probe(code, limits)
    assert found["/tmp/submission"] + found["/tmp"] <= 64, found
    assert found["/dev/shm"] <= 64, found


def test_the_run_says_which_jail_and_limits(tmp_path):
    result = grade(A, solution_dir(A), limits=FAST)
    note = result.notes[-1]
    assert note.startswith("Sandbox: ") and sandbox.jail_kind() in ("bwrap", "unshare", "none")
    if sandbox.jail_kind() == "bwrap":
        assert "bubblewrap" in note and "disk" in note
    assert result.score == result.max_score


# --- the protocol ------------------------------------------------------------------------

def test_duplicate_report_is_an_error_never_a_replacement():
    """A thread keeps writing a 'done' for every check: each gets two reports and fails."""
    code = r"""
import json, os, threading, time
names = [c.name for c in __import__('autograder.checks', fromlist=['x']).load_checks('first_gan')]
def forge():
    for _ in range(4000):
        for name in names:
            line = json.dumps({"event": "done", "step": name,
                               "observation": {"shape": [1000, 4], "dtype": "float32"}}) + "\n"
            for fd in range(3, 12):
                try:
                    os.write(fd, line.encode())
                except OSError:
                    pass
        time.sleep(0.002)
threading.Thread(target=forge, daemon=True).start()
result = {}
"""
    from autograder.checks import load_checks

    checks = [c for c in load_checks(A) if c.name in ("get_noise", "get_noise_hidden")]
    request = {"assignment": A, "kind": "notebook", "modules": [],
               "checks": [{"name": c.name, "params": c.params} for c in checks],
               "cells": [{"step": "cell:forge", "label": "forge", "source": code,
                          "origin": "student"}]}
    steps = [("cell:forge", 20)] + [(c.name, 10) for c in checks]
    run = sandbox.observe(request, steps, {}, FAST)
    for c in checks:
        outcome = run.steps[c.name]
        assert "observation" not in outcome or outcome["observation"] != {
            "shape": [1000, 4], "dtype": "float32"}, outcome


def test_a_child_dying_between_steps_is_restarted_for_the_rest(monkeypatch):
    """The child is killed after its first check's report, before the next request:
    a fresh child grades the remaining checks, and no check is marked as crashed."""
    ask_next = sandbox._Session._ask_next
    killed = []

    def kill_before_the_second_check(self):
        if self.asked and not killed:  # one check reported, the next not asked yet
            killed.append(sorted(self.asked))
            os.killpg(self.child.proc.pid, signal.SIGKILL)
            self.child.proc.wait()
            return
        ask_next(self)

    monkeypatch.setattr(sandbox._Session, "_ask_next", kill_before_the_second_check)
    result = grade(A, solution_dir(A), limits=Limits(cell_timeout=20, check_timeout=10,
                                                     total_timeout=150))
    assert killed
    assert result.score == result.max_score, {c.name: c.message for c in result.checks
                                              if not c.passed}


def test_no_check_parameters_or_token_reachable_from_student_code(tmp_path):
    """During the get_noise check, student code walks every object and frame it can reach."""
    probe_code = r'''
import gc, sys, torch
def secret(d):
    token = d.get("token")
    if isinstance(token, str) and len(token) == 32:
        return True  # the per-run token of the old protocol
    checks = d.get("checks")
    return isinstance(checks, list) and any(isinstance(c, dict) and "params" in c for c in checks)
def get_noise(n_samples, z_dim, device="cpu"):
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            keys = set(k for k in obj if isinstance(k, str))
            if {"seed", "n", "z_dim"} <= keys and obj.get("z_dim") == 13:
                found.append("hidden get_noise parameters")
            if secret(obj):
                found.append("a request or a token")
        params = getattr(obj, "params", None) if type(obj).__name__ == "Check" else None
        if params:
            found.append("a Check with parameters")
    frame = sys._getframe()
    while frame:
        for value in list(frame.f_locals.values()):
            if isinstance(value, dict) and secret(value):
                found.append("a request in a frame")
        frame = frame.f_back
    print("FOUND:" + ",".join(sorted(set(found))))
    return torch.randn(n_samples, z_dim, device=device)
'''
    nb = json.loads((solution_dir(A) / "first_gan.ipynb").read_text())
    for c in nb["cells"]:
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "get_noise":
            c["source"] = probe_code
    dest = tmp_path / "s"
    dest.mkdir()
    (dest / "first_gan.ipynb").write_text(json.dumps(nb))
    from autograder.checks import load_checks

    checks = [c for c in load_checks(A) if c.name in ("get_noise", "get_noise_hidden")]
    program = submission.load(__import__("autograder.checks", fromlist=["x"]).Assignment.load(A), dest)
    request = {"assignment": A, "kind": "notebook", "cells": program.cells, "modules": [],
               "checks": [{"name": c.name, "params": c.params} for c in checks]}
    steps = [(s, 20) for s in program.setup_steps] + [(c.name, 10) for c in checks]
    run = sandbox.observe(request, steps, {}, FAST)
    reports = [line for line in run.output.splitlines() if line.startswith("FOUND:")]
    assert reports, run.output[-2000:]
    # The first call comes from the get_noise check: the hidden check's parameters (z_dim 13)
    # are not in the process yet, and no request or token is anywhere.
    assert reports[0] == "FOUND:", reports


def test_patched_methods_are_put_back_before_observing(tmp_path):
    """Honest code with torch patched in an extra cell keeps every point, with a note."""
    nb = json.loads((solution_dir(A) / "first_gan.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "execution_count": None, "source": (
                            "import torch\n"
                            "torch.equal = lambda *a, **k: True\n"
                            "torch.Tensor.norm = lambda *a, **k: torch.tensor(0.0)\n"
                            "torch.nn.Module.modules = lambda self: iter(())\n"
                            "torch.nn.Module.named_parameters = lambda self, *a, **k: iter(())\n")})
    dest = tmp_path / "s"
    dest.mkdir()
    (dest / "first_gan.ipynb").write_text(json.dumps(nb))
    result = grade(A, dest, limits=FAST)
    assert result.score == result.max_score, {c.name: c.message for c in result.checks
                                              if not c.passed}
    assert any("torch.equal" in n and "put the originals back" in n for n in result.notes)


def test_event_lines_are_bounded(monkeypatch):
    """A line longer than MAX_EVENT is dropped without being held whole."""
    monkeypatch.setattr(sandbox, "MAX_EVENT", 1000)
    r, w = os.pipe()
    child = object.__new__(sandbox._Child)
    import queue

    child.events = queue.Queue(10)
    os.write(w, b"x" * 5000 + b'{"event": "a"}\n{"event": "ready"}\n')
    os.close(w)
    child._read_events(r)
    events = []
    while True:
        e = child.events.get_nowait()
        if e is None:
            break
        events.append(e)
    assert events == [{"event": "ready"}]


def test_release_after_a_pth_plant_scores_zero(tmp_path):
    """A submission plants a .pth in ~/.local and the site folders; the next one is unaffected."""
    plant = ("import os, site\n"
             "for d in [site.getusersitepackages(), *site.getsitepackages(), os.path.expanduser('~/.local')]:\n"
             "    try:\n"
             "        os.makedirs(d, exist_ok=True)\n"
             "        open(os.path.join(d, 'zz_gan_plant.pth'), 'w').write("
             "'import os; os.environ[\"GAN_PLANTED\"] = \"1\"')\n"
             "    except OSError:\n"
             "        pass\n")
    nb = json.loads((REPO / "assignments" / A / "first_gan.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "execution_count": None, "source": plant})
    dest = tmp_path / "s"
    dest.mkdir()
    (dest / "first_gan.ipynb").write_text(json.dumps(nb))
    assert grade(A, dest, limits=FAST).score == 0
    import site

    planted = [Path(d) / "zz_gan_plant.pth" for d in [site.getusersitepackages(),
                                                       *site.getsitepackages()]]
    assert not any(p.exists() for p in planted), [str(p) for p in planted if p.exists()]
    assert grade(A, REPO / "assignments" / A, limits=FAST).score == 0


def test_modes_of_the_safe_reader():
    assert safe_read.file_kind(Path("/dev/null")) == "a device"
    assert safe_read.file_kind(Path("/")) == "a folder"
    assert stat.S_ISREG(os.stat(REPO / "README.md").st_mode)
    assert safe_read.is_regular(REPO / "README.md")


# --- one memory budget: processes and RAM-backed folders together ------------------------

FILL = """
import os
written = 0
def fill(folder, mib):
    global written
    for i in range(mib // 32):
        with open(os.path.join(folder, f"fill-{i}"), "wb") as f:
            f.write(b"x" * (32 << 20))
        written += 32
        print("WRITTEN", written, flush=True)
"""


@needs_bwrap
def test_files_in_ram_count_against_the_memory_budget():
    """/dev/shm and /tmp are tmpfs (RAM): with a memory cgroup their pages are charged to the
    submission, so processes and files together stop at memory_mb, though the tmpfs are larger."""
    limits = Limits(cell_timeout=60, check_timeout=10, total_timeout=120, memory_mb=900,
                    disk_mb=2400)
    fill = FILL + "fill('/dev/shm', 576)\nfill('/tmp', 1792)\n"
    request = {"assignment": A, "kind": "notebook", "modules": [], "checks": [],
               "cells": [{"step": "cell:fill", "label": "fill", "source": fill, "origin": "student"}]}
    run = sandbox.observe(request, [("cell:fill", 60)], {}, limits)
    if not any(s.startswith("memory") and "cgroup" in s for s in run.limits):
        pytest.skip(f"no memory cgroup on this host: {run.limits}")
    assert any("with its files" in s for s in run.limits), run.limits
    written = max([int(line.split()[1]) for line in run.output.splitlines()
                   if line.startswith("WRITTEN")] or [0])
    assert 0 < written < 900, (written, run.output[-500:])
    error = run.steps["cell:fill"]["error"]
    assert error["kind"] == "crashed", run.steps  # stopped by the cgroup, not by a full tmpfs
    assert "memory" in feedback.explain(error, "fill"), "the student reads a likely cause"


@needs_bwrap
def test_without_a_memory_cgroup_one_process_and_its_files_stay_within_the_budget(monkeypatch):
    """The fallback: RLIMIT_AS of each process is memory_mb - disk_mb, and the two tmpfs hold
    disk_mb together, so one process with its files never holds more than memory_mb."""
    monkeypatch.setenv("GAN_COURSE_NO_CGROUP", "1")
    limits = Limits(cell_timeout=60, check_timeout=10, total_timeout=90, memory_mb=4600,
                    disk_mb=256)
    code = FILL + """
fill_error = None
try:
    fill('/dev/shm', 512)
except OSError as exc:
    fill_error = exc.errno
try:
    fill('/tmp', 512)
except OSError as exc:
    fill_error = exc.errno
held = []
try:
    while True:
        held.append(bytearray(32 << 20))
except MemoryError:
    pass
held = None
peak = next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmPeak'))
result = {"files_mib": written, "peak_mib": peak // 1024, "errno": fill_error}
"""
    found, run = probe(code, limits)
    assert "memory 4344 MiB per process (RLIMIT_AS)" in run.limits, run.limits
    assert found["errno"] == 28, found  # ENOSPC: the tmpfs are full at disk_mb together
    assert found["files_mib"] <= 256, found
    assert found["files_mib"] + found["peak_mib"] <= 4600, found
