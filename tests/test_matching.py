"""Grade what the student wrote: notebooks whose metadata was lost, copied or rebuilt.

Every fixture starts from a reference notebook (full marks) and does what an editor or a student
does to it: strip nbgrader metadata (VS Code), paste everything into one cell, follow the seed's
own layout, duplicate a cell, turn one into Markdown, redefine a function later, add noisy cells.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from helpers import by_name, full_marks

from autograder.checks import Assignment
from autograder.grading.grade import grade
from autograder.paths import solution_dir

NOTEBOOKS = ["first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "dcgan"]
FIXTURES = Path(__file__).parent / "fixtures"


def reference(assignment: str) -> dict:
    return json.loads((solution_dir(assignment) / Assignment.load(assignment).notebook).read_text())


def write(assignment: str, nb: dict, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / Assignment.load(assignment).notebook).write_text(json.dumps(nb))
    return dest


def gid(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
            "execution_count": None}


def stripped(nb: dict) -> dict:
    """What VS Code and copy-paste leave: no cell metadata at all."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell["metadata"] = {}
    return nb


def one_cell(nb: dict) -> dict:
    """Every code cell pasted, in order, into one cell of a fresh notebook."""
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return dict(nb, cells=[code_cell("\n\n".join(code))])


def edited(nb: dict, cell_id: str, old: str, new: str) -> dict:
    nb = copy.deepcopy(nb)
    cell = next(c for c in nb["cells"] if gid(c) == cell_id)
    source = "".join(cell["source"])
    assert old in source, f"{old!r} not in cell {cell_id}"
    cell["source"] = source.replace(old, new)
    return nb


def insert_after(nb: dict, cell_id: str, cell: dict) -> dict:
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb["cells"]) if gid(c) == cell_id)
    nb["cells"].insert(index + 1, cell)
    return nb


def failed(result) -> dict[str, str]:
    return {c.name: c.message for c in result.checks if not c.passed}


def matching_of(result) -> dict[str, str]:
    return {m["cell"]: m["how"] for m in result.matching}


# --- a correct notebook gets full marks, whatever the metadata ---------------------------

@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_metadata_stripped_keeps_full_marks(assignment, tmp_path):
    result = grade(assignment, write(assignment, stripped(reference(assignment)), tmp_path))
    assert not failed(result), failed(result)
    assert result.score == full_marks(assignment)
    assert set(matching_of(result).values()) == {"name"}
    assert any("Cell ids changed: your cells were matched by the names they define" in n
               for n in result.notes), result.notes


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_all_code_in_one_cell_keeps_full_marks(assignment, tmp_path):
    result = grade(assignment, write(assignment, one_cell(reference(assignment)), tmp_path))
    assert not failed(result), failed(result)
    assert result.score == full_marks(assignment)


def test_seed_004_layout_keeps_full_marks(tmp_path):
    """Seed 004's own cells in its order: MNIST download, device='cuda', its test cells, the
    unguarded 200-epoch loop, plus our update_generator. Each noisy cell costs only a note."""
    dest = tmp_path / "seed"
    dest.mkdir()
    shutil.copy(FIXTURES / "first_gan_seed004_layout.ipynb", dest / "first_gan.ipynb")
    result = grade("first_gan", dest)
    assert not failed(result), failed(result)
    assert result.score == full_marks("first_gan")
    notes = "\n".join(result.notes)
    # test_get_noise(..., 'cuda') is one of the notebook's own tests, device = 'cuda' ran on the CPU
    assert "own tests: 4 ran, 1 failed" in notes and "NVIDIA" not in notes, notes
    assert "device = 'cpu'" in notes, notes
    assert "downloading" in notes.lower() or "MNIST" in notes, notes  # the download cell
    assert result.seconds < 120


# Coursera's layout (#27): its own test cells (asserts written for its GPU) and its "DO NOT EDIT"
# parameter cell with device = 'cuda', around the reference's work, without nbgrader metadata.
COURSERA_TESTS = {
    "get_generator_block": (
        "# Verify the generator block function\n"
        "def test_gen_block(in_features, out_features, num_test=1000):\n"
        "    block = get_generator_block(in_features, out_features)\n"
        "    assert len(block) == 3\n"
        "    assert type(block[0]) == nn.Linear\n"
        "    test_output = block(torch.randn(num_test, in_features))\n"
        "    assert tuple(test_output.shape) == (num_test, out_features)\n\n"
        "test_gen_block(25, 12)\n"
        "test_gen_block(15, 28)\n"
        "print(\"Success!\")\n"),
    "get_noise": (
        "# Verify the noise vector function\n"
        "def test_get_noise(n_samples, z_dim, device='cpu'):\n"
        "    noise = get_noise(n_samples, z_dim, device)\n"
        "    assert tuple(noise.shape) == (n_samples, z_dim)\n"
        "    assert str(noise.device).startswith(device)\n\n"
        "test_get_noise(1000, 100, 'cpu')\n"
        "test_get_noise(1000, 32, 'cuda')\n"
        "print(\"Success!\")\n"),
    "Discriminator": (
        "# UNIT TEST: Coursera's grader runs on a GPU\n"
        "assert torch.cuda.is_available(), 'this notebook expects a GPU'\n"
        "assert Discriminator().disc[0][0].weight.is_cuda\n"),
}
DO_NOT_EDIT = ("# DO NOT EDIT: the parameters of Coursera's notebook\n"
               "device = 'cuda'\n")


def coursera_layout(nb: dict) -> dict:
    """The reference as a Coursera notebook: no nbgrader metadata, no self-check cells, its own
    test cells after the functions they test, and a parameter cell with device = 'cuda'."""
    for cell_id, source in COURSERA_TESTS.items():
        nb = insert_after(nb, cell_id, code_cell(source))
    nb = insert_after(nb, "parameters", code_cell(DO_NOT_EDIT))
    nb = dict(nb, cells=[c for c in nb["cells"] if not str(gid(c)).startswith("check_")])
    return stripped(nb)


def test_coursera_layout_keeps_full_marks_with_one_note_each(tmp_path):
    result = grade("first_gan", write("first_gan", coursera_layout(reference("first_gan")), tmp_path))
    assert not failed(result), failed(result)
    assert result.score == full_marks("first_gan")
    own = [n for n in result.notes if "own tests" in n.lower()]
    assert len(own) == 1, result.notes
    # 4 test_* calls and 2 asserts ran; test_get_noise(..., 'cuda') and both asserts failed
    assert "your notebook's own tests: 6 ran, 3 failed in the grader's environment" in own[0].lower(), own
    assert "AssertionError" in own[0] and "cost nothing" in own[0], own
    cpu = [n for n in result.notes if "device = 'cuda'" in n]
    assert len(cpu) == 1 and "device = 'cpu'" in cpu[0] and "no GPU" in cpu[0], result.notes
    assert not any("NVIDIA" in n or "failed while running" in n for n in result.notes), result.notes


def test_own_test_cell_that_defines_a_graded_name_is_graded_as_code(tmp_path):
    """A cell with asserts that also (re)defines `get_noise` is the student's work, not a test."""
    buggy = code_cell("def get_noise(n_samples, z_dim, device='cpu'):\n"
                      "    return torch.rand(n_samples, z_dim, device=device)\n\n"
                      "assert get_noise(3, 4).shape == (3, 4)\n")
    nb = insert_after(reference("first_gan"), "get_noise", buggy)
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    assert "get_noise" in failed(result), failed(result)
    assert not any("own tests" in n.lower() for n in result.notes), result.notes


# --- the cells a student duplicates, converts or redefines ---------------------------------

def test_duplicated_cell_grades_the_last_one(tmp_path):
    nb = reference("first_gan")
    noise = next(c for c in nb["cells"] if gid(c) == "get_noise")
    second = copy.deepcopy(noise)
    second["source"] = "".join(second["source"]).replace("torch.randn(", "torch.rand(")
    nb = insert_after(nb, "get_noise", second)
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    checks = by_name(result)
    assert not checks["get_noise"].passed and "torch.rand" in checks["get_noise"].message
    assert any("Two cells carry the id `get_noise`" in n and "graded the second" in n
               for n in result.notes), result.notes
    assert matching_of(result)["get_noise"] == "name"
    # the mistake costs get_noise's own checks only (its device check earns nothing while
    # get_noise fails: credit only for code that works): the losses use the grader's get_noise
    assert set(failed(result)) == {"get_noise", "get_noise_hidden", "get_noise_device"}, failed(result)


def test_duplicated_cell_with_the_fix_second_keeps_full_marks(tmp_path):
    nb = edited(reference("first_gan"), "get_noise", "torch.randn(", "torch.rand(")
    fixed = copy.deepcopy(next(c for c in reference("first_gan")["cells"] if gid(c) == "get_noise"))
    nb = insert_after(nb, "get_noise", fixed)
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    assert not failed(result), failed(result)


def test_cell_turned_into_markdown_is_missing_in_those_words(tmp_path):
    nb = reference("first_gan")
    for cell in nb["cells"]:
        if gid(cell) == "get_noise":
            cell["cell_type"] = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    checks = by_name(result)
    message = checks["get_noise"].message
    assert "Your notebook defines no `get_noise`" in message, message
    assert "NotImplementedError" not in message
    assert any("now a markdown cell" in n for n in result.notes), result.notes
    assert matching_of(result)["get_noise"] == "missing"
    assert {name for name in failed(result)} == {
        "get_noise", "get_noise_hidden", "get_noise_device"}, failed(result)


def test_later_redefinition_is_the_one_graded(tmp_path):
    buggy = code_cell("def get_disc_loss(gen, disc, criterion, real, num_images, z_dim, device):\n"
                      "    fake = gen(get_noise(num_images, z_dim, device)).detach()\n"
                      "    pred_fake, pred_real = disc(fake), disc(real)\n"
                      "    return (criterion(pred_fake, torch.zeros_like(pred_fake))\n"
                      "            + criterion(pred_real, torch.ones_like(pred_real)))\n")
    nb = insert_after(reference("first_gan"), "get_gen_loss", buggy)
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    checks = by_name(result)
    assert not checks["get_disc_loss_value"].passed
    assert "SUM" in checks["get_disc_loss_value"].message


def test_missing_function_says_so_not_not_implemented(tmp_path):
    nb = reference("first_gan")
    nb["cells"] = [c for c in nb["cells"] if gid(c) != "get_gen_loss"]
    result = grade("first_gan", write("first_gan", stripped(nb), tmp_path))
    checks = by_name(result)
    for name in ("get_gen_loss_value", "get_gen_loss_gradient"):
        assert "Your notebook defines no `get_gen_loss`" in checks[name].message
    # update_generator is graded with the grader's get_gen_loss: it keeps its points
    assert checks["update_generator_isolation"].passed, checks["update_generator_isolation"].message


# --- noisy extra cells cannot sink a correct grade ---------------------------------------

NOISE = [
    "!pip install torch\n%matplotlib inline\nimport torch",
    "from torchvision.datasets import MNIST\nfrom torchvision import transforms\n"
    "data = MNIST('.', download=True, transform=transforms.ToTensor())",
    "gen = gen.cuda()",
    "for epoch in range(200):\n    for real, _ in dataloader:\n"
    "        update_generator(gen, disc, gen_opt, criterion, len(real), z_dim, device)",
    "while True:\n    pass",
    "print(get_noise(3, 2))\nassert False, 'my own test failed'\nprint('after')",
]


def test_noisy_extra_cells_cost_notes_not_points(tmp_path):
    nb = reference("first_gan")
    for source in reversed(NOISE):
        nb = insert_after(nb, "update_generator", code_cell(source))
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    assert not failed(result), failed(result)
    notes = "\n".join(result.notes)
    assert notes.count("Did not finish within") == 2, notes          # the loop and `while True`
    assert "my own test failed" in notes
    assert result.seconds < 150


def test_one_failing_statement_does_not_stop_the_definitions_after_it(tmp_path):
    nb = reference("first_gan")
    for cell in nb["cells"]:
        if gid(cell) == "get_noise":
            cell["source"] = ("data = open('/no/such/mnist.gz').read()  # works at home\n"
                              + "".join(cell["source"]))
    result = grade("first_gan", write("first_gan", stripped(nb), tmp_path))
    assert not failed(result), failed(result)
    assert any("FileNotFoundError" in n for n in result.notes), result.notes


# --- one mistake costs one function's points ---------------------------------------------

def test_one_wrong_loss_costs_only_its_own_checks(tmp_path):
    nb = edited(reference("first_gan"), "get_gen_loss", "torch.full_like(pred_fake, REAL_LABEL)",
                "torch.zeros_like(pred_fake)")
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    # get_gen_loss's freshness and device checks earn nothing while its value is wrong
    assert set(failed(result)) == {"get_gen_loss_value", "get_gen_loss_value_hidden",
                                   "get_gen_loss_fresh_noise", "get_gen_loss_device"}, failed(result)


def test_a_loss_returned_as_float_blocks_the_training_check_without_charging_it(tmp_path):
    nb = edited(reference("first_gan"), "get_gen_loss", "    return gen_loss",
                "    return gen_loss.item()")
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    checks = by_name(result)
    assert checks["update_generator_isolation"].passed
    assert "Blocked by `get_gen_loss`" in checks["training_steps"].message
    assert checks["training_steps"].score == checks["training_steps"].max_score


def test_a_kept_stand_in_earns_nothing(tmp_path):
    """update_generator keeps the grader's get_gen_loss; get_gen_loss then returns its values."""
    nb = edited(reference("first_gan"), "update_generator", "    gen_opt.zero_grad()\n",
                "    global _kept\n    if '_kept' not in globals():  # the first call: the grader's\n"
                "        _kept = get_gen_loss\n    gen_opt.zero_grad()\n")
    nb = edited(nb, "get_gen_loss", '    """Return the loss of the generator given inputs.',
                "    if '_kept' in globals():\n"
                "        return _kept(gen, disc, criterion, num_images, z_dim, device)\n"
                "    return torch.tensor(0.0, requires_grad=True)\n"
                '    """Return the loss of the generator given inputs.')
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    checks = by_name(result)
    for name in ("get_gen_loss_value", "get_gen_loss_value_hidden", "get_gen_loss_gradient"):
        assert not checks[name].passed, name
    assert "kept and called after its check" in checks["training_steps"].message


# --- device bugs on a CPU-only grader ----------------------------------------------------

DEVICE_BUGS = [
    ("get_noise", "torch.randn(n_samples, z_dim, device=device)", "torch.randn(n_samples, z_dim)",
     "torch.randn(n_samples, z_dim)"),
    ("get_disc_loss", "torch.full_like(pred_fake, FAKE_LABEL)", "torch.zeros(num_images, 1)",
     "torch.zeros(num_images, 1)"),
    ("get_disc_loss", "noise = get_noise(num_images, z_dim, device)",
     "noise = torch.randn(num_images, z_dim)", "noise on the CPU"),
    ("get_gen_loss", "torch.full_like(pred_fake, REAL_LABEL)", "torch.ones(num_images, 1)",
     "torch.ones(num_images, 1)"),
]


@pytest.mark.parametrize("cell, old, new, says", DEVICE_BUGS, ids=lambda x: str(x)[:24])
def test_device_ignored_loses_the_device_check_and_names_the_tensor(cell, old, new, says, tmp_path):
    result = grade("first_gan", write("first_gan", edited(reference("first_gan"), cell, old, new),
                                      tmp_path))
    check = by_name(result)[f"{cell}_device"]
    assert not check.passed
    assert says in check.message, check.message
    assert set(failed(result)) == {f"{cell}_device"}, failed(result)


# --- the report says how every cell was found --------------------------------------------

def test_results_json_says_how_each_cell_was_found(tmp_path):
    nb = stripped(reference("first_gan"))
    nb["cells"] = [c for c in nb["cells"]
                   if "def get_noise" not in "".join(c["source"])]
    result = grade("first_gan", write("first_gan", nb, tmp_path))
    output = result.to_gradescope()["output"]
    assert "How your cells were found:" in output
    assert "Generator: by the names it defines, from your cell" in output
    assert "get_noise: missing" in output


def test_reference_cells_are_matched_by_id(reference_results):
    result = reference_results("first_gan")
    assert set(matching_of(result).values()) == {"id"}
    assert "by its id" in result.to_gradescope()["output"]


# --- every match and conversion event reaches the student's feedback --------------------

def converted_to_v3(nb: dict) -> dict:
    import nbformat

    return json.loads(json.dumps(nbformat.convert(nbformat.reads(json.dumps(nb), as_version=4), 3)))


def get_noise_twice(nb: dict) -> dict:
    """The get_noise cell copied below itself (the same id twice), the copy the one that works."""
    broken = edited(nb, "get_noise", "torch.randn(", "torch.rand(")
    fixed = copy.deepcopy(next(c for c in nb["cells"] if gid(c) == "get_noise"))
    return insert_after(broken, "get_noise", fixed)


@pytest.mark.parametrize("change, says", [
    (converted_to_v3, ["converted from notebook format 3"]),
    (get_noise_twice, ["Two cells carry the id `get_noise`", "graded the second"]),
    (stripped, ["Cell ids changed: your cells were matched by the names they define"]),
], ids=["format_3", "duplicate_id", "ids_changed"])
def test_match_and_conversion_events_are_in_results_json_and_feedback_md(change, says, tmp_path):
    from autograder.__main__ import main
    from autograder.grading.pages import write_feedback

    folder = write("first_gan", change(reference("first_gan")), tmp_path / "student")
    assert main(["grade", "first_gan", str(folder), "--out", str(tmp_path / "results.json")]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["score"] == data["max_score"] == full_marks("first_gan"), data["output"]
    write_feedback(data, tmp_path)
    page = (tmp_path / "feedback.md").read_text()
    for words in says:
        assert words in data["output"], data["output"]
        assert words in page, page


# --- other seeds' layouts: their own data cells, demo cells and unguarded training loops -------

SEED_000_DATA = """import mnist
import torch
import matplotlib.pyplot as plt
import numpy as np

TRAIN = mnist.train_images()
def sample_mnist(N):
    idx = np.random.choice(np.arange(len(TRAIN)), N)
    X = 2*(TRAIN[idx]/256-0.5)
    return torch.FloatTensor(X)
"""
SEED_000_DEMO = """g = make_generator()
d = make_discriminator()
plt.imshow(g(torch.randn(1, noise_dim))[0].detach().numpy())
print(d(g(torch.randn(5, noise_dim))).shape)
"""
SEED_000_LOOP = """generator, discriminator = make_generator(), make_discriminator()
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-4)
for step in range(200_000):
    gl = train_generator(100, opt_g, generator, discriminator)
    dl = train_discriminator(100, opt_d, generator, discriminator)
"""


def test_seed_000_layout_keeps_full_marks(tmp_path):
    """Seed 000's order: its own `import mnist` sampler first, a demo cell after the networks,
    and a 200k-step loop at the end, in a notebook without nbgrader metadata."""
    nb = stripped(reference("training_a_gan"))
    solutions = {"make_generator", "make_discriminator", "make_real_and_fake",
                 "train_discriminator", "train_generator"}
    kept = [c for c in nb["cells"] if c["cell_type"] == "code"
            and any(f"def {name}(" in "".join(c["source"]) for name in solutions)]
    head = [code_cell("noise_dim = 100\nimport torch\nfrom torch import nn"), code_cell(SEED_000_DATA)]
    cells = head + kept[:2] + [code_cell(SEED_000_DEMO)] + kept[2:] + [code_cell(SEED_000_LOOP)]
    result = grade("training_a_gan", write("training_a_gan", dict(nb, cells=cells), tmp_path))
    assert not failed(result), failed(result)
    notes = "\n".join(result.notes)
    assert "mnist" in notes and "Did not finish within" in notes, notes


SEED_003_FRAGMENT = """generated_images= generator(noise).detach()

real_discriminator_pred = discriminator(images)
gen_discriminator_pred = discriminator(generated_images)

real_loss = loss_func(real_discriminator_pred, true_labels)
fake_loss= loss_func(gen_discriminator_pred, generated_labels)
disc_loss = (real_loss+fake_loss)/2
"""


def test_seed_003_fragments_cost_notes_not_points(tmp_path):
    """Seed 003 shows its loop as loose fragments on globals: pasted as cells, they fail."""
    nb = stripped(reference("dropout_gan"))
    index = next(i for i, c in enumerate(nb["cells"]) if "def generator_step(" in "".join(c["source"]))
    nb["cells"].insert(index + 1, code_cell(SEED_003_FRAGMENT))
    result = grade("dropout_gan", write("dropout_gan", nb, tmp_path))
    assert not failed(result), failed(result)
    assert any("NameError" in n for n in result.notes), result.notes


def test_seed_001_download_and_unguarded_training_keep_full_marks(tmp_path):
    """Seed 001 downloads MNIST itself and calls train(...) for many epochs at the top level."""
    nb = stripped(reference("gan_tutorial"))
    download = ("from torchvision import datasets, transforms\n"
                "mnist_data = datasets.MNIST('./', train=True, download=True, "
                "transform=transforms.ToTensor())")
    nb["cells"].insert(1, code_cell(download))
    nb["cells"].append(code_cell("generator, discriminator = Generator(), Discriminator()\n"
                                 "history = train(generator, discriminator, 'cpu', num_epochs=2000)"))
    result = grade("gan_tutorial", write("gan_tutorial", nb, tmp_path))
    assert not failed(result), failed(result)
    assert any("Did not finish within" in n for n in result.notes), result.notes
