"""Did my GAN learn? Judge a generator's samples with an MNIST classifier.

One call, after training (or every few hundred steps during it)::

    from gan_course.evaluate import evaluate
    result = evaluate(generator)            # any of the course's generators, or a batch of images
    # 5000 samples: Fréchet distance to MNIST-test 12.3 (MNIST-train itself: about 3; ...)
    # digit shares  0: 9.8%  1: 11.2% ...
    # verdict: all 10 digits, close to MNIST

It prints and returns (an :class:`Evaluation`):

* ``frechet_distance``: the Fréchet distance between the samples and MNIST-test in the feature
  space of the course's classifier (:mod:`gan_course.classifier`, its 128 penultimate units).
  0 means the same distribution; real MNIST-train images score about 3 (5000 samples), uniform
  noise about 2500; lower is better (calibration: docs/benchmarks.md).
* ``digit_shares``: the share of samples the classifier calls 0, 1, ..., 9 (ten numbers, sum 1).
* ``digits_present``: how many of the ten digits have a share of at least 2 % (MNIST: 10).
* ``confident_share``: the share of samples classified with a probability above 0.9 (MNIST:
  about 0.99): low means blurry or unrecognisable samples.
* ``verdict``: the above in words, e.g. "mostly 1s and 7s: 3 of 10 digits, likely mode collapse".

and saves two figures (``samples.png``: a grid of 64 samples; ``digit_shares.png``: a bar chart of
the digit shares), shown inline in a notebook.

During training, :class:`Tracker` evaluates every ``every`` steps and plots the history at the end::

    tracker = Tracker(every=500)
    for step, batch in ...:
        ...                                   # one training step
        tracker.update(generator, step)       # cheap unless step % every == 0
    tracker.plot()                            # digit shares and distance over the steps

Generators from all five assignments plug in as they are. The noise size is read from an
attribute (``z_dim``, ``latent_dim``, ``noise_dim``, ``nz``) or from the first ``nn.Linear``'s
``in_features``; the output range from the last ``Tanh`` (-1, 1) or ``Sigmoid`` (0, 1), else from a
probe call; the output may be (N, 784), (N, 28, 28) or (N, 1, 28, 28). Pass ``z_dim=`` or
``value_range=`` when a generator is unusual. A GAN object with a ``generator`` attribute (as in
``gan_project``) works too.

Under a grader (:func:`gan_course.is_grading`) the :class:`Tracker` does nothing.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from gan_course import is_grading
from gan_course.classifier import batched_features, feature_stats, load_classifier, load_reference_stats

__all__ = [
    "CONFIDENCE",
    "DIGITS",
    "MIN_SHARE",
    "Evaluation",
    "Tracker",
    "evaluate",
    "evaluate_images",
    "frechet_distance",
    "noise_size",
    "output_range",
    "sample_images",
    "to_unit_images",
]

DIGITS = 10
MIN_SHARE = 0.02            # a digit "appears" when at least 2 % of the samples are classified as it
CONFIDENCE = 0.9            # a sample is "recognisable" when the classifier's top probability exceeds this
GRID_SAMPLES = 64           # samples in the saved grid (8 x 8)
PIXELS = 28 * 28
NOISE_ATTRIBUTES = ("z_dim", "latent_dim", "noise_dim", "nz", "noise_size", "input_dim")

# Words for the verdict, from the calibration in docs/benchmarks.md (Fréchet distance, 5000 samples).
# MNIST-train scores 3-5, blurred digits about 350, the reference gan_project generator after 16
# epochs about 300, noise-like blobs of an early generator 1000-1300, uniform noise about 2500.
CLOSE_DISTANCE = 50.0       # below: "close to MNIST"
FAR_DISTANCE = 400.0        # above: "far from MNIST" (the grader's threshold for gan_project)
BLOB_DISTANCE = 1000.0      # above, with few classes: blobs the classifier happens to call one digit
RECOGNISABLE = 0.5          # below this confident share: "mostly unrecognisable"
COLLAPSE_DIGITS = 3         # at most this many digits present: "likely mode collapse"
ALL_DIGITS = 9              # at least this many: the generator covers (nearly) every digit


@dataclass
class Evaluation:
    """What :func:`evaluate` measured on ``n`` samples (see the module docstring)."""

    n: int
    frechet_distance: float
    digit_shares: list[float]           # (10,), sums to 1
    digits_present: int                 # digits with a share >= MIN_SHARE
    confident_share: float              # share of samples with top probability > CONFIDENCE
    verdict: str
    files: dict[str, str] = field(default_factory=dict)   # "samples" / "digit_shares" -> PNG path

    def to_dict(self) -> dict:
        """Plain data (for JSON)."""
        return asdict(self)

    def __str__(self) -> str:
        shares = "  ".join(f"{d}: {100 * s:.1f}%" for d, s in enumerate(self.digit_shares))
        return "\n".join([
            f"{self.n} samples: Fréchet distance to MNIST-test {self.frechet_distance:.1f} "
            f"(MNIST-train itself: about 3; lower is better)",
            f"digit shares  {shares}",
            f"digits with at least {MIN_SHARE:.0%} of the samples: {self.digits_present} of {DIGITS}; "
            f"recognisable (classifier > {CONFIDENCE}): {self.confident_share:.0%}",
            f"verdict: {self.verdict}",
        ])


# --------------------------------------------------------------------------------------------
# From a generator to images in [0, 1]
# --------------------------------------------------------------------------------------------

def _unwrap(generator: nn.Module) -> tuple[nn.Module, int | None]:
    """The network that maps noise to images, and a noise size found on a wrapper (or None).

    A GAN object (``gan_project``'s ``GAN``) holds its generator as ``.generator`` and has no
    ``forward`` of its own; a generator that keeps its layers in ``.generator`` (``dropout_gan``)
    has a ``forward`` and is used as it is.
    """
    inner = getattr(generator, "generator", None)
    if isinstance(inner, nn.Module) and type(generator).forward is nn.Module.forward:
        return inner, _noise_attribute(generator)
    return generator, None


def _noise_attribute(module: nn.Module) -> int | None:
    for name in NOISE_ATTRIBUTES:
        value = getattr(module, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def noise_size(generator: nn.Module) -> int:
    """The length of the generator's noise vector z.

    From an attribute (``z_dim``, ``latent_dim``, ``noise_dim``, ``nz``, ...), else the
    ``in_features`` of the first ``nn.Linear``. Raises ValueError when neither exists.
    """
    network, wrapped = _unwrap(generator)
    found = wrapped or _noise_attribute(network)
    if found:
        return found
    for module in network.modules():
        if isinstance(module, nn.Linear):
            return module.in_features
    raise ValueError(
        f"cannot tell the noise size of {type(generator).__name__}: it has no z_dim/latent_dim "
        "attribute and no nn.Linear layer. Pass it: evaluate(generator, z_dim=...)."
    )


def _device(module: nn.Module) -> torch.device:
    try:
        return next(module.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def output_range(generator: nn.Module, probe: torch.Tensor | None = None) -> tuple[float, float]:
    """(-1, 1) or (0, 1): the range of the generator's images.

    The last ``Tanh`` or ``Sigmoid`` layer decides; without one, a probe output (any shape) with
    negative values means (-1, 1), otherwise (0, 1).
    """
    network, _ = _unwrap(generator)
    last = None
    for module in network.modules():
        if isinstance(module, (nn.Tanh, nn.Sigmoid, nn.Hardtanh)):
            last = module
    if isinstance(last, (nn.Tanh, nn.Hardtanh)):
        return (-1.0, 1.0)
    if isinstance(last, nn.Sigmoid):
        return (0.0, 1.0)
    if probe is not None and probe.numel() and probe.min().item() < 0:
        return (-1.0, 1.0)
    return (0.0, 1.0)


def to_unit_images(images: torch.Tensor, value_range: tuple[float, float] | None = None) -> torch.Tensor:
    """Images of any course shape and range -> float32 (N, 1, 28, 28) in [0, 1], on the CPU.

    ``images``: (N, 784), (N, 28, 28) or (N, 1, 28, 28); float in ``value_range``, or uint8 in
    0..255. Without ``value_range``: negative values mean (-1, 1), a maximum above 1.5 means
    (0, 255), otherwise (0, 1).
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"expected a tensor of images, got {type(images).__name__}")
    x = images.detach().cpu()
    if x.ndim == 0 or x[0].numel() != PIXELS:
        raise ValueError(
            f"expected images of 28 x 28 = 784 pixels each, shaped (N, 784), (N, 28, 28) or "
            f"(N, 1, 28, 28); got shape {tuple(images.shape)}"
        )
    if x.dtype == torch.uint8:
        x, value_range = x.float(), (0.0, 255.0)
    x = x.float().reshape(len(x), 1, 28, 28)
    if value_range is None:
        lo = x.min().item() if x.numel() else 0.0
        hi = x.max().item() if x.numel() else 1.0
        value_range = (-1.0, 1.0) if lo < 0 else (0.0, 255.0) if hi > 1.5 else (0.0, 1.0)
    lo, hi = value_range
    return ((x - lo) / (hi - lo)).clamp_(0.0, 1.0).nan_to_num_(0.0)


@torch.no_grad()
def sample_images(
    generator: nn.Module,
    n: int,
    z_dim: int | None = None,
    value_range: tuple[float, float] | None = None,
    seed: int = 0,
    batch_size: int = 1000,
) -> torch.Tensor:
    """``n`` samples of ``generator`` as float32 (n, 1, 28, 28) in [0, 1], on the CPU.

    The noise z ~ N(0, I) of shape (n, z_dim) comes from its own seeded random generator, so the
    caller's random state is untouched and two calls see the same z. The generator runs in eval
    mode (dropout off, batch norm's running statistics) and goes back to its mode afterwards.
    """
    network, _ = _unwrap(generator)
    z_dim = z_dim or noise_size(generator)
    device = _device(network)
    g = torch.Generator().manual_seed(seed)
    was_training = network.training
    network.eval()
    try:
        chunks = []
        for start in range(0, n, batch_size):
            z = torch.randn(min(batch_size, n - start), z_dim, generator=g).to(device)   # (B, z_dim)
            out = network(z)
            if value_range is None:
                value_range = output_range(generator, out)
            chunks.append(to_unit_images(out, value_range))                            # (B, 1, 28, 28)
    finally:
        network.train(was_training)
    return torch.cat(chunks)


# --------------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------------

def frechet_distance(mean_a: torch.Tensor, cov_a: torch.Tensor, mean_b: torch.Tensor, cov_b: torch.Tensor) -> float:
    """||m_a - m_b||^2 + tr(C_a) + tr(C_b) - 2 tr((C_a C_b)^(1/2)), in float64.

    The matrix square root's trace is sum(sqrt(eig(S C_b S))) with S = C_a^(1/2), a symmetric
    positive semi-definite product, so ``eigvalsh`` is enough (no scipy).
    """
    mean_a, cov_a, mean_b, cov_b = (t.to(torch.float64) for t in (mean_a, cov_a, mean_b, cov_b))
    w, v = torch.linalg.eigh(cov_a)
    root_a = (v * w.clamp_min(0).sqrt()) @ v.T                   # C_a^(1/2)
    middle = root_a @ cov_b @ root_a
    trace_root = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    diff = mean_a - mean_b
    value = diff @ diff + cov_a.trace() + cov_b.trace() - 2 * trace_root
    return max(float(value), 0.0)


def _digit_list(digits: list[int]) -> str:
    names = [f"{d}s" for d in digits]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def verdict(shares: list[float], present: int, confident: float, distance: float) -> str:
    """The figures in words (thresholds: this module's constants, from the calibration)."""
    order = sorted(range(DIGITS), key=lambda d: -shares[d])
    missing = sorted(d for d in range(DIGITS) if shares[d] < MIN_SHARE)
    if confident < RECOGNISABLE:
        return (f"mostly unrecognisable: only {confident:.0%} of the samples look clearly like a digit "
                f"(distance {distance:.0f}); train longer, or check the generator's output range")
    if present <= COLLAPSE_DIGITS and distance >= BLOB_DISTANCE:
        named = _digit_list(sorted(d for d in order[:present]))
        return (f"not digits yet: noise-like blobs (distance {distance:.0f}; the classifier calls them "
                f"{named}, which means little here); train longer")
    if present <= COLLAPSE_DIGITS:
        top, total = [], 0.0
        for d in order:
            top.append(d)
            total += shares[d]
            if total >= 0.8 or len(top) == COLLAPSE_DIGITS:
                break
        return f"mostly {_digit_list(sorted(top))}: {present} of {DIGITS} digits, likely mode collapse"
    if present < ALL_DIGITS:
        return (f"{present} of {DIGITS} digits (missing: {', '.join(map(str, missing))}): partial mode "
                "collapse, or not trained long enough")
    coverage = f"all {DIGITS} digits" if present == DIGITS else f"{present} of {DIGITS} digits (missing: {missing[0]})"
    if distance <= CLOSE_DISTANCE:
        return f"{coverage}, close to MNIST"
    if distance >= FAR_DISTANCE:
        return f"{coverage}, but far from MNIST (distance {distance:.0f}): train longer"
    return f"{coverage}, on the way to MNIST (distance {distance:.0f})"


def _classifier_on(device: torch.device | str | None) -> nn.Module:
    """The shipped classifier on ``device`` (the CPU when None): one copy per device and process."""
    device = torch.device("cpu" if device is None else device)
    if device.type == "cpu":
        return load_classifier()
    if device not in _CLASSIFIERS:
        import copy

        _CLASSIFIERS[device] = copy.deepcopy(load_classifier()).to(device)
    return _CLASSIFIERS[device]


_CLASSIFIERS: dict[torch.device, nn.Module] = {}


def evaluate_images(images: torch.Tensor, device: torch.device | str | None = None) -> Evaluation:
    """The figures of images (N, 1, 28, 28) in [0, 1] (see :func:`to_unit_images`); no files.

    The classifier runs on ``device`` (default: the CPU). On a GPU it takes a fraction of a second,
    so a :class:`Tracker` can evaluate often without slowing the training down.
    """
    model = _classifier_on(device)
    feats, probs = batched_features(model, images.to(next(model.parameters()).device))
    feats, probs = feats.cpu(), probs.cpu()                            # (N, 128), (N, 10)
    mean, cov = feature_stats(feats)
    ref_mean, ref_cov = load_reference_stats()
    distance = frechet_distance(mean, cov, ref_mean, ref_cov)
    top, label = probs.max(dim=1)                                      # (N,), (N,)
    counts = torch.bincount(label, minlength=DIGITS).double()
    shares = (counts / max(len(images), 1)).tolist()
    present = sum(s >= MIN_SHARE for s in shares)
    confident = (top > CONFIDENCE).double().mean().item() if len(images) else 0.0
    return Evaluation(len(images), distance, [round(s, 4) for s in shares], present, round(confident, 4),
                      verdict(shares, present, confident, distance))


def _in_notebook() -> bool:
    return "ipykernel" in sys.modules


def figures(result: Evaluation, images: torch.Tensor):
    """Two matplotlib figures: a grid of the first 64 images, and the digit shares as bars."""
    import matplotlib.pyplot as plt
    from torchvision.utils import make_grid

    grid = make_grid(images[:GRID_SAMPLES], nrow=8, pad_value=0.5)       # (3, H, W) in [0, 1]
    fig_grid, ax = plt.subplots(figsize=(5, 5.4))
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"{min(len(images), GRID_SAMPLES)} samples (distance {result.frechet_distance:.1f})", fontsize=10)
    fig_grid.tight_layout()

    fig_bars, ax = plt.subplots(figsize=(6, 3.2))
    shares = [100 * s for s in result.digit_shares]
    colors = ["tab:blue" if s >= 100 * MIN_SHARE else "tab:red" for s in shares]
    ax.bar(range(DIGITS), shares, color=colors)
    ax.axhline(100 / DIGITS, color="gray", linestyle=":", label="MNIST (about 10% each)")
    ax.axhline(100 * MIN_SHARE, color="tab:red", linestyle="--", linewidth=0.8, label=f"{MIN_SHARE:.0%}: present")
    ax.set_xticks(range(DIGITS))
    ax.set_xlabel("digit (as the classifier sees it)")
    ax.set_ylabel("share of samples (%)")
    ax.set_title(result.verdict if len(result.verdict) < 70 else result.verdict[:67] + "...", fontsize=9)
    ax.legend(fontsize=8)
    fig_bars.tight_layout()
    return fig_grid, fig_bars


def evaluate(
    generator_or_images: nn.Module | torch.Tensor,
    n: int = 5000,
    *,
    z_dim: int | None = None,
    value_range: tuple[float, float] | None = None,
    seed: int = 0,
    out_dir: str | Path | None = "evaluation",
    show: bool | None = None,
    quiet: bool = False,
) -> Evaluation:
    """Judge a generator (``n`` samples) or a batch of images; print, save and show the figures.

    Parameters
    ----------
    generator_or_images:
        A generator (``nn.Module``: noise (n, z_dim) -> images (n, 784), (n, 28, 28) or
        (n, 1, 28, 28)), a GAN holding one as ``.generator``, or a tensor of images.
    n:
        Samples to draw from a generator (ignored for images). 5000 take a few seconds on a CPU.
    z_dim, value_range:
        The noise size and the output range ((0, 1) or (-1, 1)), when they cannot be found from
        the model (see the module docstring).
    seed:
        Seed of the noise (the global random state is not touched).
    out_dir:
        Folder for ``samples.png`` and ``digit_shares.png``; None saves nothing.
    show:
        Show the figures inline; default: when running in a notebook.
    quiet:
        Do not print.
    """
    if isinstance(generator_or_images, torch.Tensor):
        images = to_unit_images(generator_or_images, value_range)
    elif isinstance(generator_or_images, nn.Module):
        images = sample_images(generator_or_images, n, z_dim, value_range, seed)
        device = _device(_unwrap(generator_or_images)[0])      # classify where the generator runs
    else:
        raise TypeError(f"evaluate() takes a generator (nn.Module) or a tensor of images, "
                        f"got {type(generator_or_images).__name__}")
    result = evaluate_images(images, device if isinstance(generator_or_images, nn.Module) else None)
    show = _in_notebook() if show is None else show
    if out_dir is not None or show:
        import matplotlib.pyplot as plt

        fig_grid, fig_bars = figures(result, images)
        if out_dir is not None:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            for name, fig in (("samples", fig_grid), ("digit_shares", fig_bars)):
                fig.savefig(out / f"{name}.png", dpi=100)
                result.files[name] = str(out / f"{name}.png")
        if show:
            plt.show()
        plt.close(fig_grid)
        plt.close(fig_bars)
    if not quiet:
        print(result)
    return result


# --------------------------------------------------------------------------------------------
# During training
# --------------------------------------------------------------------------------------------

class Tracker:
    """Evaluate a generator every ``every`` steps during training; plot the history at the end.

    ``update(generator, step)`` is cheap except every ``every`` steps, when it draws ``n``
    samples (1000 take about a second on a CPU) and records the figures. ``plot()`` draws the
    digit shares and the Fréchet distance over the steps: a digit whose band vanishes is mode
    collapse happening. Under a grader both do nothing.
    """

    def __init__(self, every: int = 500, n: int = 1000, z_dim: int | None = None,
                 value_range: tuple[float, float] | None = None, verbose: bool = True):
        self.every = max(1, int(every))
        self.n = n
        self.z_dim = z_dim
        self.value_range = value_range
        self.verbose = verbose
        self.steps: list[int] = []
        self.history: list[Evaluation] = []
        self.calls = 0

    def update(self, generator: nn.Module, step: int | None = None) -> Evaluation | None:
        """Evaluate ``generator`` when ``step`` is a multiple of ``every``; return the figures or None.

        Without ``step``, the calls are counted (the first call is step 1): call it once per step.
        """
        self.calls += 1
        step = self.calls if step is None else step
        if is_grading() or step % self.every != 0:
            return None
        images = sample_images(generator, self.n, self.z_dim, self.value_range, seed=len(self.steps))
        result = evaluate_images(images, _device(_unwrap(generator)[0]))
        self.steps.append(int(step))
        self.history.append(result)
        if self.verbose:
            print(f"[tracker] step {step}: distance {result.frechet_distance:.1f}, "
                  f"{result.digits_present} of {DIGITS} digits, {result.confident_share:.0%} recognisable")
        return result

    def plot(self, path: str | Path | None = None, show: bool | None = None):
        """Digit shares (stacked) and distance (log scale) against the step; returns the figure."""
        if is_grading() or not self.history:
            return None
        import matplotlib.pyplot as plt

        shares = torch.tensor([r.digit_shares for r in self.history]).T * 100     # (10, T)
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
        colors = plt.get_cmap("tab10").colors
        top.stackplot(self.steps, shares.numpy(), labels=[str(d) for d in range(DIGITS)], colors=colors)
        top.set_ylabel("digit shares (%)")
        top.set_ylim(0, 100)
        top.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title="digit")
        top.set_title("A band that shrinks to nothing: the generator stopped making that digit", fontsize=9)
        distances = [max(r.frechet_distance, 1e-3) for r in self.history]
        bottom.plot(self.steps, distances, marker="o", markersize=3)
        bottom.set_yscale("log")
        bottom.set_ylabel("Fréchet distance\n(lower is better)")
        bottom.set_xlabel("training step")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        if _in_notebook() if show is None else show:
            plt.show()
        plt.close(fig)
        return fig


def log_to_tensorboard(writer, generator: nn.Module, step: int, n: int = 1000) -> Evaluation | None:
    """Evaluate ``generator`` and write the figures to a TensorBoard ``SummaryWriter``.

    Scalars ``evaluation/frechet_distance``, ``evaluation/digits_present``,
    ``evaluation/confident_share`` and the two figures (``evaluation/samples``,
    ``evaluation/digit_shares``) at ``step``. Under a grader it does nothing (returns None).
    """
    if is_grading():
        return None
    images = sample_images(generator, n)
    result = evaluate_images(images)
    writer.add_scalar("evaluation/frechet_distance", result.frechet_distance, step)
    writer.add_scalar("evaluation/digits_present", result.digits_present, step)
    writer.add_scalar("evaluation/confident_share", result.confident_share, step)
    fig_grid, fig_bars = figures(result, images)
    writer.add_figure("evaluation/samples", fig_grid, step)       # add_figure closes the figures
    writer.add_figure("evaluation/digit_shares", fig_bars, step)
    return result
