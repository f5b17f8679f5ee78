"""first_gan's cases of the grading contract (tests/test_contract.py), as data: typical
mistakes (``MISTAKES``: the checks each must fail and the words their feedback must contain) and
correct styles that must keep full marks (``STYLES``)."""

from __future__ import annotations

from helpers import Mistake

A = "first_gan"

MISTAKES = [
    Mistake("no_detach", [("cell:get_disc_loss", "fake = gen(noise).detach()", "fake = gen(noise)")],
            ["get_disc_loss_detach"], ["detach"]),
    Mistake("swapped_labels",
            [("cell:get_disc_loss", "torch.full_like(pred_fake, FAKE_LABEL)",
              "torch.full_like(pred_fake, REAL_LABEL)"),
             ("cell:get_disc_loss", "torch.full_like(pred_real, REAL_LABEL)",
              "torch.full_like(pred_real, FAKE_LABEL)")],
            ["get_disc_loss_value", "get_disc_loss_value_hidden"], ["swapped"]),
    Mistake("sigmoid_before_bce_with_logits",
            [("cell:Discriminator", "layers += [nn.Linear(hidden_dim, 1)]",
              "layers += [nn.Linear(hidden_dim, 1), nn.Sigmoid()]")],
            ["Discriminator_structure", "Discriminator_structure_hidden"], ["Sigmoid"]),
    Mistake("discriminator_optimizer_in_generator_step",
            [("cell:update_generator", "gen_opt.zero_grad()", "disc_opt.zero_grad()"),
             ("cell:update_generator", "gen_opt.step()", "disc_opt.step()")],
            ["update_generator_isolation", "update_generator_isolation_hidden"], ["gen_opt"]),
    Mistake("missing_batchnorm",
            [("cell:get_generator_block", "        nn.BatchNorm1d(output_dim),", "")],
            ["get_generator_block_layers", "get_generator_block_layers_hidden"], ["BatchNorm1d"]),
    Mistake("wrong_leaky_relu_slope",
            [("cell:get_discriminator_block", "nn.LeakyReLU(0.2, inplace=True)",
              "nn.LeakyReLU(inplace=True)")],
            ["get_discriminator_block_layers"], ["0.2"]),
    Mistake("noise_from_torch_rand",
            [("cell:get_noise", "torch.randn(", "torch.rand(")],
            ["get_noise", "get_noise_hidden"], ["torch.rand"]),
    Mistake("loss_not_averaged",
            [("cell:get_disc_loss", "disc_loss = (fake_loss + real_loss) / 2",
              "disc_loss = fake_loss + real_loss")],
            ["get_disc_loss_value", "get_disc_loss_value_hidden"], ["average"]),
    Mistake("generator_target_is_fake_label",
            [("cell:get_gen_loss", "torch.full_like(pred_fake, REAL_LABEL)",
              "torch.full_like(pred_fake, FAKE_LABEL)")],
            ["get_gen_loss_value", "get_gen_loss_value_hidden"], ["FAKE label"]),
    Mistake("generator_loss_detached",
            [("cell:get_gen_loss", "disc(gen(noise))", "disc(gen(noise).detach())")],
            ["get_gen_loss_gradient"], ["detach"]),
    Mistake("no_zero_grad_in_generator_step",
            [("cell:update_generator", "    gen_opt.zero_grad()\n", "")],
            ["update_generator_isolation"], ["zero_grad"]),
    Mistake("generator_eval_inside_forward",
            [("cell:Generator", "        return self.gen(noise)",
              "        self.eval()\n        return self.gen(noise)")],
            ["Generator_structure", "Generator_structure_hidden"], ["self.eval()", "BatchNorm"]),
    Mistake("generator_loss_caches_its_noise",
            [("cell:get_gen_loss", "    noise = get_noise(num_images, z_dim, device)  # (n, z_dim)",
              "    if not hasattr(get_gen_loss, 'noise'):\n"
              "        get_gen_loss.noise = get_noise(num_images, z_dim, device)\n"
              "    noise = get_gen_loss.noise")],
            ["get_gen_loss_fresh_noise"], ["SAME noise"]),
    Mistake("generator_loss_returned_as_float",
            [("cell:get_gen_loss", "    ### END SOLUTION\n    return gen_loss",
              "    ### END SOLUTION\n    return gen_loss.item()")],
            ["get_gen_loss_value", "get_gen_loss_value_hidden"], ["float", ".item()"]),
    Mistake("discriminator_loss_returned_as_float",
            [("cell:get_disc_loss", "    ### END SOLUTION\n    return disc_loss",
              "    ### END SOLUTION\n    return disc_loss.item()")],
            ["get_disc_loss_value", "get_disc_loss_value_hidden"], ["float", "backward()"]),
    Mistake("update_generator_returns_float",
            [("cell:update_generator", "    ### END SOLUTION\n    return gen_loss",
              "    ### END SOLUTION\n    return gen_loss.item()")],
            ["update_generator_isolation", "update_generator_isolation_hidden"],
            ["float", ".item()"]),
    Mistake("update_generator_also_steps_global_disc_opt",
            [("cell:update_generator", "    gen_opt.step()\n",
              "    gen_opt.step()\n    disc_opt.step()\n")],
            ["update_generator_isolation", "update_generator_isolation_hidden"],
            ["global disc", "disc_opt.step()"]),
    # A real bug with full marks before: D gets no gradient from its score on the fakes.
    Mistake("discriminator_output_detached_instead_of_fakes",
            [("cell:get_disc_loss", "fake = gen(noise).detach()", "fake = gen(noise)"),
             ("cell:get_disc_loss", "pred_fake = disc(fake)  ", "pred_fake = disc(fake).detach()")],
            ["get_disc_loss_detach"], ["no gradient from its score on the fakes", ".detach()"]),
    # `return None` in each graded function: 0 for that function, device check included.
    Mistake("get_noise_returns_none",
            [("cell:get_noise", "return torch.randn(n_samples, z_dim, device=device)", "return None")],
            ["get_noise", "get_noise_hidden", "get_noise_device"], ["None"]),
    Mistake("get_disc_loss_returns_none",
            [("cell:get_disc_loss", "    ### END SOLUTION\n    return disc_loss",
              "    ### END SOLUTION\n    return None")],
            ["get_disc_loss_value", "get_disc_loss_detach", "get_disc_loss_value_hidden",
             "get_disc_loss_device"], ["None"]),
    Mistake("get_gen_loss_returns_none",
            [("cell:get_gen_loss", "    ### END SOLUTION\n    return gen_loss",
              "    ### END SOLUTION\n    return None")],
            ["get_gen_loss_value", "get_gen_loss_gradient", "get_gen_loss_value_hidden",
             "get_gen_loss_device"], ["None"]),
    Mistake("update_generator_returns_none",
            [("cell:update_generator", "    ### END SOLUTION\n    return gen_loss",
              "    ### END SOLUTION\n    return None")],
            ["update_generator_isolation", "update_generator_isolation_hidden",
             "update_generator_device"], ["None"]),
    Mistake("generator_without_sigmoid",
            [("cell:Generator", "            nn.Sigmoid(),                       # pixel values in (0, 1)\n", "")],
            ["Generator_structure"], ["Sigmoid"]),
]


# Correct solutions in other styles: each must keep full marks.
STYLES = {
    "mean_of_two_bce_terms_in_one_line": [
        ("cell:get_disc_loss", "    disc_loss = (fake_loss + real_loss) / 2  ",
         "    disc_loss = torch.stack([fake_loss, real_loss]).mean()  ")],
    "one_bce_over_the_concatenated_batch": [
        ("cell:get_disc_loss", "    disc_loss = (fake_loss + real_loss) / 2  ",
         "    scores = torch.cat([pred_fake, pred_real])\n"
         "    labels = torch.cat([torch.zeros_like(pred_fake), torch.ones_like(pred_real)])\n"
         "    disc_loss = criterion(scores, labels)  ")],
    "no_grad_instead_of_detach": [
        ("cell:get_disc_loss", "    fake = gen(noise).detach()  ",
         "    with torch.no_grad():\n        fake = gen(noise)\n    ")],
    "one_discriminator_call_on_concatenated_batches": [
        ("cell:get_disc_loss", "    pred_fake = disc(fake)                                  # (n, 1) logits",
         "    pred_both = disc(torch.cat([fake, real]))               # (2n, 1) logits\n"
         "    pred_fake, pred_real_both = pred_both[:num_images], pred_both[num_images:]"),
        ("cell:get_disc_loss", "    pred_real = disc(real)                                  # (n, 1) logits",
         "    pred_real = pred_real_both")],
    "student_helper_function": [
        ("cell:get_gen_loss", "def get_gen_loss(gen, disc, criterion, num_images, z_dim, device):",
         "def make_fakes(gen, num_images, z_dim, device):\n"
         "    return gen(get_noise(num_images, z_dim, device))\n\n\n"
         "def get_gen_loss(gen, disc, criterion, num_images, z_dim, device):"),
        ("cell:get_gen_loss", "    noise = get_noise(num_images, z_dim, device)  # (n, z_dim)\n"
         "    pred_fake = disc(gen(noise))                   # (n, 1) logits, graph reaches G",
         "    pred_fake = disc(make_fakes(gen, num_images, z_dim, device))")],
}


