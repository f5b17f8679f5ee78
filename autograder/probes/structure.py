"""Network structure and output range: build the student's network, describe it, run it once.

Observe half (in the child): :func:`forward` runs the network on the grader's input and reports
the output's ``tensor_info`` (shape, dtype, range), or the error the forward pass raised as
``forward_error`` (the judge words it with a hint about the input's shape). The layers come from
:func:`autograder.child.observe.describe_layers`. Judge half (in the grader): :func:`cannot_score`, the
words for a discriminator that could not score a batch of images (with or without a Flatten).
"""

from __future__ import annotations

from autograder.checks import Verdict
from autograder.child import observe as ob
from autograder.probes.device import short_error


def forward(net, x, report: dict, reraise: tuple[type[BaseException], ...] = ()) -> bool:
    """``report["output"]`` of ``net(x)``, or ``report["forward_error"]``; whether it ran.
    ``reraise``: errors that propagate (NotImplementedError: "not implemented yet")."""
    try:
        y = net(x)
    except reraise:
        raise
    except Exception as exc:  # reported, judged with a hint about the input's shape
        report["forward_error"] = short_error(exc)
        return False
    report["output"] = ob.tensor_info(y)
    return True


def cannot_score(obs: dict, call: str, images: str, kinds: list, image: str, vector: str,
                 first: str, linear: str) -> Verdict | None:
    """When the forward pass failed: "``call`` could not score a batch of images of shape
    ``images``", with a hint on flattening each ``image`` into ``vector`` for its ``first``
    layer (``linear`` once there is a Flatten). None when it ran."""
    if "forward_error" not in obs:
        return None
    hint = (f" Start with nn.Flatten() so that each {image} image becomes {vector} before the "
            f"first {first}." if "Flatten" not in kinds else
            f" After nn.Flatten() each image is {vector}: the first layer must be {linear}.")
    return Verdict(False, f"{call} could not score a batch of images of shape {images}: "
                   f"{obs['forward_error']}.{hint}")
