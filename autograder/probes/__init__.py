"""Probes shared by the assignments: each observes one kind of behaviour beside student code.

Each probe has an observe half (runs in the child, beside the student's code, and reports plain
data) and a judge half (runs in the grader, with the assignment's words):

* :mod:`~autograder.probes.structure`: a network's forward pass, output and its range.
* :mod:`~autograder.probes.loss`: a loss value against candidate formulas (``bce``), and which
  typical mistake it equals (``explain``, with the assignment's hints).
* :mod:`~autograder.probes.isolation`: a training step changes its own network, with a fresh
  gradient, and no other (``StepWatch``; ``judge_own_step``, ``judge_detached_loss``).
* :mod:`~autograder.probes.alternating`: a few real alternating steps of both networks, judged
  with a table of rules.
* :mod:`~autograder.probes.noise`: fresh noise on every call (fingerprints).
* :mod:`~autograder.probes.device`: the CPU run, then PyTorch's ``meta`` device (name the tensor
  that stayed on the CPU, on graders without a GPU), then CUDA where usable.
* :mod:`~autograder.probes.standins`: call a function with the grader's own versions of the
  course functions it uses, so one mistake costs one function's points.
* :mod:`~autograder.probes.networks`: the grader's known stand-in networks and inputs.
* :mod:`~autograder.probes.convnets`: what a convolutional block computes after its convolution
  (candidate formulas), and a network's shape after each convolution (forward hooks).
* :mod:`~autograder.probes.init`: the statistics of a network's weights after an init function
  (normal with a given mean and std, biases 0).
"""
