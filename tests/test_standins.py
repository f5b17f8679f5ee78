"""The grader's stand-ins behave like the networks and functions students write.

Every stand-in network (each :class:`~autograder.probes.networks.StandIn` subclass, found in the
probes and in every assignment's checks, so a new one is tested without being listed here) goes
through what a correct student's code may do with a network: ``detach_()`` and in-place
activations on its output, ``.view`` / ``.reshape``, ``module.forward(x)`` as well as
``module(x)`` (both recorded), ``.to(device)``, ``train()`` / ``eval()``, ``parameters()`` and,
where the course's template has it, ``.device``. The function stand-ins
(:mod:`autograder.probes.standins`) take the calls the student's own function takes, and their
errors name the student's function.
"""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import nn

from autograder.checks import load_checks
from autograder.probes import device as meta
from autograder.probes import networks
from autograder.probes.standins import StandInExpired, standing_in

ASSIGNMENTS = ("first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "gan_project")


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def stand_in_classes() -> list[type]:
    for assignment in ASSIGNMENTS:
        load_checks(assignment)            # imports the assignment's modules and their stand-ins
    return sorted(set(_all_subclasses(networks.StandIn)), key=lambda c: (c.__module__, c.__qualname__))


CLASSES = stand_in_classes()


def make(cls: type) -> tuple[networks.StandIn, torch.Tensor]:
    net, x = cls.example()
    assert type(net) is cls, f"{cls.__qualname__}.example() must build a {cls.__qualname__}"
    return net, x


def test_every_network_class_of_the_probes_is_a_stand_in():
    defined = [v for v in vars(networks).values()
               if inspect.isclass(v) and issubclass(v, nn.Module) and v.__module__ == networks.__name__]
    assert defined and all(issubclass(c, networks.StandIn) for c in defined), defined
    assert {c for c in defined if c is not networks.StandIn} <= set(CLASSES)


def test_no_stand_in_network_is_left_in_an_assignment_outside_the_stand_in_base():
    """Every nn.Module subclass an assignment's checks define is a StandIn (so it is tested here)."""
    import sys
    for name, module in list(sys.modules.items()):
        if not name.startswith("autograder.assignments"):
            continue
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, nn.Module) and value.__module__ == name:
                assert issubclass(value, networks.StandIn), f"{name}.{value.__qualname__}"


@pytest.fixture(params=CLASSES, ids=lambda c: f"{c.__module__.rsplit('.', 1)[-1]}.{c.__qualname__}")
def stand_in(request):
    return make(request.param)


def test_output_is_a_fresh_tensor_that_detach_in_place_accepts(stand_in):
    net, x = stand_in
    out = net(x)
    assert isinstance(out, torch.Tensor) and not out._is_view()
    out.detach_()                       # fake = gen(noise); fake.detach_()
    assert not out.requires_grad


@pytest.mark.parametrize("inplace", [torch.relu_, lambda t: t.mul_(1), lambda t: t.clamp_(-1, 1),
                                     lambda t: nn.LeakyReLU(0.2, inplace=True)(t)],
                         ids=["relu_", "mul_", "clamp_", "LeakyReLU(inplace=True)"])
def test_in_place_operations_on_the_output_keep_its_gradient(stand_in, inplace):
    net, x = stand_in
    out = inplace(net(x))
    out.float().sum().backward()
    assert any(p.grad is not None for p in net.parameters())


def test_view_and_reshape_of_the_output(stand_in):
    net, x = stand_in
    out = net(x)
    assert out.view(out.shape[0], -1).shape == out.reshape(out.shape[0], -1).shape


def test_forward_is_recorded_like_a_call(stand_in):
    """``module.forward(x)`` runs the forward hooks (observers hook ``__call__``) once."""
    net, x = stand_in
    seen = []
    net.register_forward_pre_hook(lambda module, args: seen.append("pre"))
    net.register_forward_hook(lambda module, args, out: seen.append("post"))
    by_call, by_forward = net(x), net.forward(x)
    assert seen == ["pre", "post", "pre", "post"]
    assert torch.equal(by_call, by_forward) and not by_forward._is_view()


def test_parameters_train_eval_and_to(stand_in):
    net, x = stand_in
    assert list(net.parameters())
    assert net.eval() is net and not net.training
    assert net.train() is net and net.training
    net.train(False)
    assert not net.training
    assert net.to("cpu") is net
    assert net.to(meta.META) is net          # as the device checks run it: under the meta probe
    report = meta.observe_on_meta(net, x.to(meta.META))
    assert report["ok"] is True and report["returned"] == [meta.META], meta.observation(report)
    assert meta.observe_on_meta(net.forward, x.to(meta.META))["returned"] == [meta.META]


def test_device_only_where_the_template_offers_it(stand_in):
    net, x = stand_in
    offered = net.__dict__.get("_has_device", False)
    if not offered:
        with pytest.raises(AttributeError, match="has no attribute 'device'"):
            net.device  # noqa: B018
        net.like_template("GeneratorMLP", device=True, z_dim=x.shape[-1])
    assert net.device == torch.device("cpu")
    assert net.to(meta.META).device.type == meta.META
    assert torch.randn(2, 3, device=net.device).device.type == meta.META


def test_a_missing_attribute_names_the_students_template(stand_in):
    net, _ = stand_in
    net.like_template("GeneratorMLP", device=True, z_dim=8)
    assert net.z_dim == 8
    with pytest.raises(AttributeError, match="stands in for your GeneratorMLP") as info:
        net.layers  # noqa: B018
    assert "z_dim" in str(info.value) and ".device" in str(info.value)
    assert not hasattr(net, "layers")


def test_gan_projects_stand_ins_offer_what_models_py_offers():
    from autograder.assignments.gan_project.files import course_networks

    gen, disc = course_networks(6, networks.ConstantGenerator(784, 0, image_shape=(1, 28, 28)),
                                networks.LinearDiscriminator(784, 0))
    assert (gen.device, disc.device) == (torch.device("cpu"),) * 2
    assert (gen.z_dim, gen.output_shape, disc.input_dims) == (6, (1, 28, 28), 784)
    placeholder = networks.PlaceholderNetwork(z_dim=5, hidden_dims=[8], dp_rate=0.1)
    assert (placeholder.z_dim, placeholder.hidden_dims, placeholder.device) == (5, [8], torch.device("cpu"))


# --- function stand-ins --------------------------------------------------------------------

def _get_noise(n_samples, z_dim, device="cpu"):
    return torch.randn(n_samples, z_dim, device=device)


def _lend(own) -> dict:
    return {} if own is None else {"get_noise": own}


def test_a_call_the_students_own_function_accepts_works():
    def get_noise(n, z, dev="cpu"):            # the student renamed the parameters
        raise AssertionError("the stand-in is called instead")
    ns = _lend(get_noise)
    with standing_in(ns, {"get_noise": _get_noise}):
        assert ns["get_noise"](3, 4, dev="meta").shape == (3, 4)
        assert ns["get_noise"](n=2, z=5).device.type == "cpu"
    assert ns["get_noise"] is get_noise


def test_parameters_of_the_texts_names_go_by_name():
    def get_noise(z_dim, n_samples, device="cpu"):   # the student swapped the order
        raise AssertionError
    ns = _lend(get_noise)
    with standing_in(ns, {"get_noise": _get_noise}):
        assert ns["get_noise"](5, 7, device="meta").shape == (7, 5)


@pytest.mark.parametrize("own", [None, lambda n_samples, z_dim, device="cpu": None],
                         ids=["no own function", "the template's signature"])
def test_errors_name_the_students_function_not_the_graders(own):
    ns = _lend(own)
    with standing_in(ns, {"get_noise": _get_noise}):
        for bad in (lambda: ns["get_noise"](3, 4, dev="cpu"), lambda: ns["get_noise"](3)):
            with pytest.raises(TypeError) as info:
                bad()
            assert str(info.value).startswith("get_noise()"), info.value
            assert "_get_noise" not in str(info.value)
    kept = ns.get("get_noise") if own is not None else None
    assert kept is own


def test_a_kept_stand_in_expires():
    ns: dict = {}
    with standing_in(ns, {"get_noise": _get_noise}):
        kept = ns["get_noise"]
    with pytest.raises(StandInExpired, match="`get_noise`"):
        kept(2, 3)


def test_a_recorders_method_lent_as_a_function_is_named_as_the_students():
    """training_a_gan lends methods of its recorder (``sample_mnist``): same words."""
    from autograder.assignments.training_a_gan.observe import StandIns

    def sample_mnist(batch_size):
        raise AssertionError("the stand-in is called instead")
    for ns in ({}, {"sample_mnist": sample_mnist}):
        with StandIns(ns, seed=0):
            assert ns["sample_mnist"](3).shape == (3, 28, 28)
            with pytest.raises(TypeError, match=r"^sample_mnist\(\) ") as info:
                ns["sample_mnist"](3, 4)
            assert "StandIns" not in str(info.value)
    assert ns["sample_mnist"] is sample_mnist
