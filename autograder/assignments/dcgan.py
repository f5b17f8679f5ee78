"""Checks for ``dcgan`` (a convolutional GAN after Radford et al. 2016 and Coursera's week 2).

The networks are judged by behaviour (:mod:`autograder.probes.convnets`), the initialisation by
its statistics (:mod:`autograder.probes.init`). The noise, the losses and the generator's update
have ``first_gan``'s contract and checks, imported as they are (their stand-in images are
flattened, which a loss that only calls ``gen`` and ``disc`` never sees).
"""

from __future__ import annotations

import torch
from torch import nn

from autograder.assignments import first_gan as fg
from autograder.checks import HIDDEN, Check, Verdict, shape
from autograder.child import observe as ob
from autograder.probes import alternating, convnets, init
from autograder.probes.networks import real_images
from autograder.probes.standins import using

NOTEBOOK = "dcgan.ipynb"
STD = 0.02                                   # the DCGAN paper's N(0, 0.02)


# --- the grader's own blocks (what the notebook's text states) -----------------------------

def _make_gen_block(i, o, kernel_size=3, stride=2, final_layer=False):
    conv = nn.ConvTranspose2d(i, o, kernel_size, stride)
    return nn.Sequential(conv, nn.Tanh() if final_layer else nn.Sequential(nn.BatchNorm2d(o), nn.ReLU()))


def _make_disc_block(i, o, kernel_size=4, stride=2, final_layer=False):
    conv = nn.Conv2d(i, o, kernel_size, stride)
    return nn.Sequential(conv, *([] if final_layer else [nn.BatchNorm2d(o), nn.LeakyReLU(0.2)]))


STAND_INS = {**fg.STAND_INS, "make_gen_block": _make_gen_block, "make_disc_block": _make_disc_block}


# --- blocks --------------------------------------------------------------------------------

BLOCKS = {  # function -> (convolution, {final_layer: formula}, words for other formulas)
    "make_gen_block": ("ConvTranspose2d", {False: "bn+relu", True: "no_bn+tanh"}, {
        "no_bn+relu": "it has no nn.BatchNorm2d: put one between the transposed convolution and "
                      "the ReLU",
        "no_bn+sigmoid": "it ends with nn.Sigmoid, whose pixels lie in (0, 1): the last block ends "
                         "with nn.Tanh(), pixels in (-1, 1) like the real images",
        "bn+tanh": "the last block has a BatchNorm2d: only the transposed convolution and nn.Tanh()",
        "no_bn+none": "it has no activation after the transposed convolution",
        "relu+bn": "the BatchNorm2d comes after the ReLU: the order is ConvTranspose2d, "
                   "BatchNorm2d, ReLU",
        "bn+leaky": "the generator's blocks use nn.ReLU, not LeakyReLU",
        "no_bn+tanh": "with final_layer=False the block is ConvTranspose2d, BatchNorm2d, ReLU"}),
    "make_disc_block": ("Conv2d", {False: "bn+leaky", True: "no_bn+none"}, {
        "no_bn+leaky": "it has no nn.BatchNorm2d: put one between the convolution and the "
                       "LeakyReLU",
        "bn+leaky_default": "its LeakyReLU has the default slope 0.01: write nn.LeakyReLU(0.2)",
        "no_bn+sigmoid": "it ends with a sigmoid: the last block returns logits (the convolution "
                         "alone), nn.BCEWithLogitsLoss applies the sigmoid itself",
        "leaky+bn": "the BatchNorm2d comes after the LeakyReLU: the order is Conv2d, BatchNorm2d, LeakyReLU(0.2)",
        "bn+relu": "its activation is a ReLU: the discriminator's blocks use nn.LeakyReLU(0.2)",
        "bn+none": "the last block has a BatchNorm2d: only the convolution"}),
}


def observe_block(ns: dict, p: dict) -> dict:
    ob.seed_all(p["seed"])
    x = torch.randn(8, p["in"], p["side"], p["side"])                       # (8, in, H, H)
    return convnets.observe_block(ob.need(ns, p["function"]), (p["in"], p["out"]), {
        "kernel_size": p["kernel"], "stride": p["stride"], "final_layer": p["final"]}, x)


def judge_block(obs: dict, p: dict) -> Verdict:
    kind, formulas, hints = BLOCKS[p["function"]]
    k, s = p["kernel"], p["stride"]
    call = (f"{p['function']}({p['in']}, {p['out']}, kernel_size={k}, stride={s}, "
            f"final_layer={p['final']})")
    conv = {"type": kind, "in": p["in"], "out": p["out"], "kernel": [k, k], "stride": [s, s], "padding": [0, 0]}
    return convnets.judge_block(obs, call, conv, formulas[p["final"]], hints)


def _block_checks(function: str, visible: dict, final: dict, hidden: dict) -> list[Check]:
    title = f"{function} computes the right layers"
    args = [(f"{function}_layers", title, visible, "visible"),
            (f"{function}_final", f"{function}(..., final_layer=True)", final, "visible"),
            (f"{function}_layers_hidden", title + " (other sizes)", hidden, HIDDEN)]
    return [Check(name, function, t, 1.0, observe_block, judge_block, {"function": function, **params},
                  visibility) for name, t, params, visibility in args]


# --- networks: the shape after each block, the output's end, BatchNorm in train() mode -------

def observe_network(ns: dict, p: dict) -> dict:
    ob.seed_all(p["seed"])
    net = ob.need(ns, p["class"])(**p["kwargs"])
    x = torch.randn(p["n"], *p["input"]) * p["scale"]
    net.train()
    before = fg._buffers(net)
    report = convnets.trace(net, x)
    report.update(stats_updated=fg._buffers(net) != before, train_mode_after=bool(net.training),
                  batchnorms=sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()))
    return report


def network_layout(p: dict) -> tuple[list[list[int]], list[str]]:
    """The shapes after each block, and each block's call, from the notebook's tables."""
    k, n = p["kwargs"], p["n"]
    h, c = k["hidden_dim"], k["im_chan"]
    if p["class"] == "Generator":
        rows = [(k["z_dim"], 4 * h, 3, 2, 3), (4 * h, 2 * h, 4, 1, 6), (2 * h, h, 3, 2, 13),
                (h, c, 4, 2, 28)]
        fn = "make_gen_block"
    else:
        rows = [(c, h, 4, 2, 13), (h, 2 * h, 4, 2, 5), (2 * h, 1, 4, 2, 1)]
        fn = "make_disc_block"
    last = len(rows) - 1
    calls = [f"{fn}({a}, {b}, kernel_size={ks}, stride={st}"
             + (", final_layer=True)" if i == last else ")") for i, (a, b, ks, st, _) in enumerate(rows)]
    return [[n, b, side, side] for a, b, _, _, side in rows], calls


def judge_network(obs: dict, p: dict) -> Verdict:
    name, k, n = p["class"], p["kwargs"], p["n"]
    call = f"{name}({', '.join(f'{a}={v}' for a, v in k.items())})"
    shapes, calls = network_layout(p)
    g = name == "Generator"
    want = (n, k["im_chan"], 28, 28) if g else (n, 1)
    verdict = convnets.judge_trace(obs, call, shapes, calls, "tanh" if g else "none", (
        "its last block is make_gen_block(..., final_layer=True): pixels tanh(x) in (-1, 1)." if g
        else "the last block is the convolution alone (final_layer=True): logits, no sigmoid."))
    if verdict:
        return verdict
    if shape(obs["output"]) != want:
        return Verdict(False, f"{call} returned shape {shape(obs['output'])} for a batch of {n}, "
                       f"expected {want}" + (": view the last block's (n, 1, 1, 1) as (n, 1)."
                                             if name == "Discriminator" else "."))
    if not obs.get("batchnorms"):
        return Verdict(False, f"{call} has no nn.BatchNorm2d: every block but the last has one.")
    if obs.get("stats_updated") is not True or obs.get("train_mode_after") is not True:
        return Verdict(False, f"In train() mode, {call}'s BatchNorm layers did not update their "
                       "running statistics: do not call self.eval() (or .train(False)) inside "
                       "forward or __init__; the training loop decides the mode.")
    return Verdict(True)


def _network(name: str, seed: int, n: int, kwargs: dict, scale: float, visibility: str) -> Check:
    g = name == "Generator"
    inputs = [kwargs["z_dim"]] if g else [kwargs["im_chan"], 28, 28]
    block = "make_gen_block" if g else "make_disc_block"
    title = (f"{name}: the shape after each block, " + ("images (n, c, 28, 28) in (-1, 1)" if g
             else "logits (n, 1)")) if visibility == "visible" else f"{name} with other sizes"
    return Check(f"{name}_structure" + ("_hidden" if visibility == HIDDEN else ""), name, title,
                 1.0, using(observe_network, STAND_INS, block), judge_network,
                 {"class": name, "seed": seed, "n": n, "input": inputs, "scale": scale,
                  "kwargs": kwargs}, visibility)


# --- the initialisation --------------------------------------------------------------------

BN_MEANS = (1.0, 0.0)          # the text asks for N(1, 0.02) and accepts Coursera's N(0, 0.02)
INIT_TABLE = [
    ("ConvTranspose2d", "weight", (0.0,), STD, "the ConvTranspose2d weights"),
    ("Conv2d", "weight", (0.0,), STD, "the Conv2d weights"),
    ("BatchNorm2d", "weight", BN_MEANS, STD, "the BatchNorm2d weights"),
    ("BatchNorm2d", "bias", (), 0.0, "the BatchNorm2d biases"),
]


def observe_weights_init(ns: dict, p: dict) -> dict:
    return init.applied(ob.need(ns, "weights_init"), init.KnownLayers(p["seed"], p["channels"]))


def judge_weights_init(obs: dict, p: dict) -> Verdict:
    problem = init.init_problem(obs, INIT_TABLE)
    if problem is None:
        return Verdict(True)
    return Verdict(False, f"After net.apply(weights_init) on a network of ConvTranspose2d, Conv2d "
                   f"and BatchNorm2d layers, {problem}. weights_init(m) should use "
                   "nn.init.normal_(m.weight, 0.0, 0.02) for both kinds of convolution, and for "
                   "nn.BatchNorm2d nn.init.normal_(m.weight, 1.0, 0.02) and "
                   "nn.init.constant_(m.bias, 0).")


def observe_models(ns: dict, p: dict) -> dict:
    for net, cls in (("gen", "Generator"), ("disc", "Discriminator")):
        if net not in ns:
            ob.need(ns, cls)()            # the reason the cell could not make it ("not implemented")
            ob.need(ns, "weights_init")(nn.BatchNorm2d(2))
    return {"gen": init.statistics(ob.need(ns, "gen")), "disc": init.statistics(ob.need(ns, "disc"))}


def judge_models(obs: dict, p: dict) -> Verdict:
    for net, name, conv in (("gen", "generator", "ConvTranspose2d"), ("disc", "discriminator", "Conv2d")):
        problem = init.init_problem(obs.get(net), INIT_TABLE, (conv, "BatchNorm2d"))
        if problem:
            return Verdict(False, f"The notebook's {net} (the {name}) is not initialised with "
                           f"weights_init: {problem}. Apply it to both networks in the models "
                           f"cell: {net} = {net}.apply(weights_init). (Run this check before "
                           "training: training moves the weights.)")
    return Verdict(True)


# --- a few real training steps of the student's own networks (first_gan's rules) -------------

def observe_training(ns: dict, p: dict) -> dict:
    gen_cls, disc_cls = ob.need(ns, "Generator"), ob.need(ns, "Discriminator")
    update_discriminator, update_generator = (ob.need(ns, f) for f in ("update_discriminator",
                                                                     "update_generator"))
    ob.seed_all(p["seed"])
    z, n = p["z_dim"], p["n"]
    gen, disc = gen_cls(z, 1, p["hidden"]), disc_cls(1, p["hidden"])
    gen_opt, disc_opt = (torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))
                         for net in (gen, disc))
    criterion = nn.BCEWithLogitsLoss()

    def record(d_loss, g_loss, disc_step: dict, gen_step: dict) -> dict:
        return {"d_loss": ob.scalar(d_loss, "the discriminator loss"),
                "g_loss": ob.scalar(g_loss, "update_generator's result"),
                "disc_step": disc_step, "gen_step": gen_step}

    def real(i: int) -> torch.Tensor:                                     # (n, 1, 28, 28)
        return real_images(n, 784, p["seed"] + i, -1.0, 1.0, (1, 28, 28))
    return {"steps": alternating.alternate(
        gen, disc, p["steps"],
        lambda i: update_discriminator(gen, disc, disc_opt, criterion, real(i), n, z, "cpu"),
        lambda i: update_generator(gen, disc, gen_opt, criterion, n, z, "cpu"), record)}


# --- the list ------------------------------------------------------------------------------

_loss = fg._loss_params

CHECKS: list[Check] = [
    *_block_checks("make_gen_block", {"seed": 1, "in": 5, "out": 12, "kernel": 3, "stride": 2,
                                      "side": 4, "final": False},
                   {"seed": 2, "in": 6, "out": 1, "kernel": 4, "stride": 2, "side": 5, "final": True},
                   {"seed": 3, "in": 9, "out": 7, "kernel": 4, "stride": 1, "side": 3, "final": False}),
    _network("Generator", 4, 6, {"z_dim": 10, "im_chan": 1, "hidden_dim": 8}, 1.0, "visible"),
    _network("Generator", 5, 5, {"z_dim": 23, "im_chan": 2, "hidden_dim": 4}, 3.0, HIDDEN),
    Check("get_noise", "get_noise", "get_noise: shape, dtype, device, standard normal", 1.0,
          fg.observe_noise, fg.judge_noise, {"seed": 5, "n": 1000, "z_dim": 4, "device": "cpu"}),
    Check("get_noise_hidden", "get_noise", "get_noise with other sizes", 1.0, fg.observe_noise,
          fg.judge_noise, {"seed": 6, "n": 301, "z_dim": 13, "device": "cpu"}, HIDDEN),
    fg._device_check("get_noise", 18),
    *_block_checks("make_disc_block", {"seed": 7, "in": 3, "out": 10, "kernel": 4, "stride": 2,
                                       "side": 12, "final": False},
                   {"seed": 8, "in": 10, "out": 1, "kernel": 4, "stride": 2, "side": 5, "final": True},
                   {"seed": 9, "in": 4, "out": 6, "kernel": 3, "stride": 1, "side": 7, "final": False}),
    _network("Discriminator", 10, 6, {"im_chan": 1, "hidden_dim": 8}, 1.0, "visible"),
    _network("Discriminator", 11, 3, {"im_chan": 3, "hidden_dim": 5}, 4.0, HIDDEN),
    Check("weights_init_statistics", "weights_init",
          "weights_init: convolutions N(0, 0.02), BatchNorm N(1, 0.02) and bias 0", 1.0,
          observe_weights_init, judge_weights_init, {"seed": 12, "channels": [16, 8, 24]}),
    Check("weights_init_statistics_hidden", "weights_init", "weights_init on another network",
          1.0, observe_weights_init, judge_weights_init, {"seed": 13, "channels": [12, 20, 10]},
          HIDDEN),
    Check("models_initialised", "models", "the models cell applies weights_init to gen and disc",
          1.0, observe_models, judge_models),
    Check("get_disc_loss_value", "get_disc_loss", "get_disc_loss: value on known inputs", 1.0,
          fg._disc_loss, fg.judge_disc_loss_value, _loss(9, 10, 5)),
    Check("get_disc_loss_detach", "get_disc_loss",
          "get_disc_loss: gradients reach the discriminator only (detach)", 2.0,
          fg._disc_loss, fg.judge_disc_loss_detach, _loss(10, 10, 5)),
    Check("get_disc_loss_value_hidden", "get_disc_loss", "get_disc_loss on other inputs", 1.0,
          fg._disc_loss, fg.judge_disc_loss_value, _loss(11, 17, 3), HIDDEN),
    fg._device_check("get_disc_loss", 19),
    Check("get_gen_loss_value", "get_gen_loss", "get_gen_loss: value on known inputs", 1.0,
          fg._gen_loss, fg.judge_gen_loss_value, _loss(12, 10, 5)),
    Check("get_gen_loss_gradient", "get_gen_loss", "get_gen_loss: gradients reach the generator",
          2.0, fg._gen_loss, fg.judge_gen_loss_gradient, _loss(13, 10, 5)),
    Check("get_gen_loss_fresh_noise", "get_gen_loss", "get_gen_loss: fresh noise on every call",
          1.0, using(fg.observe_gen_loss_noise, STAND_INS, "get_noise"), fg.judge_gen_loss_noise,
          _loss(18, 6, 5)),
    Check("get_gen_loss_value_hidden", "get_gen_loss", "get_gen_loss on other inputs", 1.0,
          fg._gen_loss, fg.judge_gen_loss_value, _loss(14, 23, 7), HIDDEN),
    fg._device_check("get_gen_loss", 20),
    Check("update_generator_isolation", "update_generator",
          "update_generator: changes the generator's weights and no discriminator weight", 2.0,
          fg._update_generator, fg.judge_update_generator, _loss(15, 10, 5)),
    Check("training_steps", "update_generator",
          "three training steps: each network changes only in its own update", 1.0,
          observe_training, fg.judge_training,
          {"seed": 16, "n": 8, "z_dim": 8, "hidden": 4, "steps": 3},
          uses=("make_gen_block", "Generator", "get_noise", "make_disc_block", "Discriminator",
                "get_disc_loss", "get_gen_loss")),
    Check("update_generator_isolation_hidden", "update_generator",
          "update_generator on other inputs", 1.0,
          fg._update_generator, fg.judge_update_generator, _loss(17, 7, 9), HIDDEN),
    fg._device_check("update_generator", 21),
]

# Credit only for code that works (checks.gate): secondary check -> the main check of its function.
GATED = {f"{main}_hidden": main for main in (
    "make_gen_block_layers", "Generator_structure", "get_noise", "make_disc_block_layers",
    "Discriminator_structure", "weights_init_statistics", "get_disc_loss_value", "get_gen_loss_value")}
GATED.update(get_noise_device="get_noise", get_disc_loss_device="get_disc_loss_value",
             get_gen_loss_fresh_noise="get_gen_loss_value", get_gen_loss_device="get_gen_loss_value",
             **dict.fromkeys(("update_generator_isolation_hidden", "update_generator_device"),
                             "update_generator_isolation"))
