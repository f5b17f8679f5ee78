"""``python -m autograder evaluate ID PATH``: the figures of a trained generator, from its checkpoint.

``PATH`` is a submission folder (the notebook, or gan_project's ``models.py``, and the checkpoint:
``generator.pt`` that the notebook's last cell saves, or gan_project's ``GAN_logs/checkpoint.pt``)
or the checkpoint file itself (its submission folder is then the nearest folder above it that
holds the notebook or ``models.py``).

The submission runs in the sandbox exactly as when grading (notebook cells with training skipped,
or the modules imported); the child loads the checkpoint with ``torch.load(weights_only=True)``,
builds the student's generator and reports its samples as bytes; this process judges them with
the course's classifier, prints the figures and writes ``evaluation.json``, ``samples.png`` and
``digit_shares.png`` into ``--out``. See :mod:`autograder.probes.trained`.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder import protocol
from autograder.grading import sandbox, submission
from autograder.probes.trained import EVALUATE_CHECK, RECIPES, checkpoint_files, evaluate_observation, problem_message

MAX_SAMPLES = 20_000        # the child's report of n samples is n * 784 bytes, base64


class EvaluateError(Exception):
    """The checkpoint could not be evaluated; the message says why, in the student's terms."""


def submission_folder(assignment: str, path: Path) -> tuple[Path, Path | None]:
    """(the submission folder, the checkpoint file or None to search the folder)."""
    path = Path(path)
    if path.is_dir():
        return path, None
    spec_file = "models.py" if assignment == "gan_project" else f"{assignment}.ipynb"
    for folder in [path.parent, *path.parent.parents][:4]:
        if (folder / spec_file).is_file() or (folder / f"{assignment}.pct.py").is_file():
            return folder, path
    raise EvaluateError(f"{path} is a checkpoint, but no {spec_file} was found beside it or in the "
                        f"folders above it: its generator's class comes from there. Put the checkpoint "
                        f"in your submission folder and pass the folder.")


def evaluate_checkpoint(assignment: str, path: Path, n: int = 5000,
                        limits: sandbox.Limits = sandbox.DEFAULT_LIMITS):
    """Sample the submitted generator in the sandbox and judge it here: (Evaluation, images, found)."""
    from autograder.checks import Assignment

    if assignment not in RECIPES:
        raise EvaluateError(f"{assignment} has no trained generator to evaluate")
    if not 1 <= n <= MAX_SAMPLES:
        raise EvaluateError(f"--n must be between 1 and {MAX_SAMPLES}, got {n}")
    folder, checkpoint = submission_folder(assignment, path)
    try:
        program = submission.load(Assignment.load(assignment), folder)
    except submission.SubmissionError as exc:
        raise EvaluateError(str(exc)) from None
    program.files.update(checkpoint_files(assignment, folder, checkpoint))
    params = {"assignment": assignment, "n": n, "seed": 0}
    request = protocol.request(assignment, program, [(EVALUATE_CHECK, params)])
    steps = [(s, limits.cell_timeout) for s in program.setup_steps] + [(EVALUATE_CHECK, limits.check_timeout)]
    run = sandbox.observe(request, steps, program.files, limits)
    outcome = run.steps.get(EVALUATE_CHECK, {})
    if "error" in outcome:
        from autograder.grading import feedback

        raise EvaluateError(feedback.explain(outcome["error"], "loading your generator"))
    obs = outcome.get("observation")
    if not isinstance(obs, dict):
        raise EvaluateError("the sandbox reported nothing: " + run.output[-1000:])
    problem = problem_message(obs)
    if problem:
        raise EvaluateError(problem)
    result, images = evaluate_observation(obs, n)
    return result, images, obs.get("found")


def main(assignment: str, path: Path, out: Path, n: int) -> int:
    """The verb: print the figures, write them as JSON and the two PNGs into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gan_course.evaluate import figures

    try:
        result, images, found = evaluate_checkpoint(assignment, path, n)
    except EvaluateError as exc:
        print(f"error: {exc}")
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for name, fig in zip(("samples", "digit_shares"), figures(result, images), strict=True):
        fig.savefig(out / f"{name}.png", dpi=100)
        plt.close(fig)
        result.files[name] = str(out / f"{name}.png")
    data = {"assignment": assignment, "checkpoint": found, **result.to_dict()}
    (out / "evaluation.json").write_text(json.dumps(data, indent=2) + "\n")
    print(f"{assignment}: {found}")
    print(result)
    print(f"figures written to {out}/ (evaluation.json, samples.png, digit_shares.png)")
    return 0
