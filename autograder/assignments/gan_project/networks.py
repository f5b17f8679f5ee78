"""gan_project: the checks of ``models.py`` (``GeneratorMLP``, ``DiscriminatorMLP``).

"""

from __future__ import annotations

import math

import torch

from autograder.child import observe as ob
from autograder.checks import Verdict, close, fmt, layer_names, layers, number, shape
from autograder.probes import structure


def observe_network(ns: dict, p: dict) -> dict:
    models = ob.need(ns, "models")
    cls = getattr(models, p["class"], None)
    if cls is None:
        raise ob.Missing(p["class"])
    ob.seed_all(p["seed"])
    net = cls(**p["kwargs"])
    report: dict = {"layers": ob.describe_layers(net)}
    net.eval()
    x = torch.randn(p["n"], *p["input"]) * p["input_scale"]
    if not structure.forward(net, x, report, reraise=(NotImplementedError,)):
        return report
    # Dropout's behaviour, whatever implements it (nn.Dropout or F.dropout(..., training=...)):
    # two train() passes differ, two eval() passes agree, and with dp_rate=0 train() agrees too.
    with torch.no_grad():
        net.train()
        report["train_differ"] = not _equal_outputs(net(x), net(x))
        net.eval()
        report["eval_equal"] = _equal_outputs(net(x), net(x))
        ob.seed_all(p["seed"])
        no_dropout = cls(**dict(p["kwargs"], dp_rate=0.0))
        no_dropout.train()
        report["zero_rate_equal"] = _equal_outputs(no_dropout(x), no_dropout(x))
    return report


def _equal_outputs(a, b) -> bool:
    a, b = ob.as_tensor(a, "the network's output"), ob.as_tensor(b, "the network's output")
    with torch._C.DisableTorchFunctionSubclass():
        return a.shape == b.shape and bool(torch.equal(a.detach().cpu(), b.detach().cpu()))


def _call(p: dict) -> str:
    return f"{p['class']}({', '.join(f'{k}={v}' for k, v in p['kwargs'].items())})"


def _linear_problem(got: list[dict], dims: list[int], call: str) -> str | None:
    linears = [(d.get("in"), d.get("out")) for d in got if d.get("type") == "Linear"]
    want = list(zip(dims, dims[1:], strict=False))
    if linears == want:
        return None
    want_text = " -> ".join(f"Linear({a}, {b})" for a, b in want)
    return (f"{call} has the linear layers {' -> '.join(f'Linear({a}, {b})' for a, b in linears) or '(none)'}, "
            f"expected {want_text}: one hidden layer per entry of hidden_dims, in order, built "
            "from the arguments (not from fixed sizes).")


def _dropout_problem(got: list[dict], rate: float, call: str, obs: dict | None = None) -> str | None:
    """Dropout judged by what it does; nn.Dropout layers, where used, must have p = dp_rate."""
    rates = [d.get("p") for d in got if d.get("type") == "Dropout"]
    if any(not isinstance(r, (int, float)) or not close(float(r), rate) for r in rates):
        return (f"{call} has dropout rates {rates}, expected {rate} everywhere: use "
                "nn.Dropout(dp_rate), the argument, not a fixed number.")
    obs = obs or {}
    if obs.get("train_differ") is not True:
        return (f"In train() mode two passes of the same input through {call} gave the same "
                "output: no dropout is active. Add dropout with rate dp_rate after each hidden "
                "layer's activation (nn.Dropout(dp_rate), or F.dropout(h, self.dp_rate, "
                "training=self.training)).")
    if obs.get("eval_equal") is not True:
        return (f"In eval() mode two passes of the same input through {call} gave different "
                "outputs: dropout must switch off in eval(). Use nn.Dropout(dp_rate), or pass "
                "training=self.training to F.dropout (its default, training=True, ignores the "
                "mode).")
    if obs.get("zero_rate_equal") is not True:
        return (f"Built with dp_rate=0.0, {call.split('(')[0]} still gave two different outputs "
                "in train() mode: take the dropout rate from the argument dp_rate, not a fixed "
                "number.")
    return None


def judge_generator(obs: dict, p: dict) -> Verdict:
    got, k, call, n = layers(obs), p["kwargs"], _call(p), p["n"]
    out_shape = tuple(k["output_shape"])
    if "forward_error" in obs:
        return Verdict(False, f"{call} could not turn z of shape ({n}, {k['z_dim']}) into images: "
                       f"{obs['forward_error']}. The first nn.Linear takes z_dim inputs, and the "
                       "result is reshaped to (B, *output_shape).")
    problem = (_linear_problem(got, [k["z_dim"], *k["hidden_dims"], math.prod(out_shape)], call)
               or _dropout_problem(got, k["dp_rate"], call, obs))
    if problem:
        return Verdict(False, problem)
    out = obs.get("output", {})
    want = (n, *out_shape)
    if shape(out) != want:
        return Verdict(False, f"{call} returned shape {list(shape(out))} for z of shape "
                       f"({n}, {k['z_dim']}), expected {list(want)} = (B, *output_shape): reshape "
                       "the last layer's output with .view(z.shape[0], *self.output_shape).")
    kinds = [d.get("type") for d in got]
    lo, hi = number(out, "min"), number(out, "max")
    if not (-1.0 <= lo and hi <= 1.0):
        hint = (" It has no nn.Tanh at all: add nn.Tanh() after the last nn.Linear."
                if "Tanh" not in kinds else " Is the nn.Tanh the LAST layer?")
        return Verdict(False, f"{call} generated pixel values in [{fmt(lo)}, {fmt(hi)}]; they must "
                       "lie in [-1, 1], the range of the MNIST images in mnist.py, so the "
                       f"generator ends with a Tanh.{hint}")
    if lo >= 0.0:
        hint = " Replace nn.Sigmoid by nn.Tanh." if "Sigmoid" in kinds else ""
        return Verdict(False, f"{call} generated only non-negative pixel values [{fmt(lo)}, "
                       f"{fmt(hi)}]: the images lie in [-1, 1] (Tanh), like the data.{hint}")
    if out.get("dtype") != "float32":
        return Verdict(False, f"The generated images have dtype {out.get('dtype')}, expected float32.")
    return Verdict(True)


def judge_discriminator(obs: dict, p: dict) -> Verdict:
    got, k, call, n = layers(obs), p["kwargs"], _call(p), p["n"]
    kinds = [d.get("type") for d in got]
    images = "(" + ", ".join(str(s) for s in (n, *p["input"])) + ")"
    failed = structure.cannot_score(obs, call, images, kinds, "(1, 28, 28)", "a vector of input_dims "
                                    "numbers", "nn.Linear", "nn.Linear(input_dims, hidden_dims[0])")
    if failed:
        return failed
    core = [t for t in kinds if t not in ("Flatten", "Unflatten", "Identity")]
    if core and core[-1] == "Sigmoid":
        return Verdict(False, f"{call} ends with a Sigmoid ({layer_names(got)}). It must return "
                       "logits: the losses use binary_cross_entropy_with_logits, which applies the "
                       "sigmoid itself, so a second sigmoid squashes the scores and weakens the "
                       "gradients. Remove the nn.Sigmoid().")
    problem = (_linear_problem(got, [k["input_dims"], *k["hidden_dims"], 1], call)
               or _dropout_problem(got, k["dp_rate"], call, obs))
    if problem:
        return Verdict(False, problem)
    out = obs.get("output", {})
    if shape(out) != (n, 1):
        hint = " Do not squeeze the logits." if shape(out) == (n,) else ""
        return Verdict(False, f"{call} scored images {images} with shape {list(shape(out))}, "
                       f"expected [{n}, 1]: one logit per image.{hint}")
    lo, hi = number(out, "min"), number(out, "max")
    if 0.0 <= lo and hi <= 1.0:
        return Verdict(False, f"{call}'s scores all lie in [{fmt(lo)}, {fmt(hi)}], like "
                       "probabilities: return the last nn.Linear's logits, without torch.sigmoid.")
    return Verdict(True)
