"""dcgan's cases of the grading contract (tests/test_contract.py), as data: typical mistakes
(``MISTAKES``: the checks each must fail and the words their feedback must contain) and correct
styles that must keep full marks (``STYLES``)."""

from __future__ import annotations

from helpers import Mistake

A = "dcgan"
FULL_MARKS = 32

GEN_BN = "            nn.BatchNorm2d(output_channels),   # normalise each channel over the batch\n"
DISC_BN = "            nn.BatchNorm2d(output_channels),    # normalise each channel over the batch\n"
GEN_BLOCK_2 = "make_gen_block(hidden_dim * 4, hidden_dim * 2, kernel_size=4, stride=1)"

MISTAKES = [
    # the five
    Mistake("generator_block_without_batchnorm", [("cell:make_gen_block", GEN_BN, "")],
            ["make_gen_block_layers", "make_gen_block_layers_hidden"], ["BatchNorm2d"]),
    Mistake("discriminator_block_without_batchnorm", [("cell:make_disc_block", DISC_BN, "")],
            ["make_disc_block_layers", "make_disc_block_layers_hidden"], ["BatchNorm2d"]),
    Mistake("generator_kernel_breaks_28x28",
            [("cell:Generator", GEN_BLOCK_2,
              "make_gen_block(hidden_dim * 4, hidden_dim * 2, kernel_size=3, stride=1)")],
            ["Generator_structure", "Generator_structure_hidden"], ["block 2", "kernel_size=4, stride=1"]),
    Mistake("discriminator_stride_breaks_shape",
            [("cell:Discriminator", "make_disc_block(hidden_dim, hidden_dim * 2),",
              "make_disc_block(hidden_dim, hidden_dim * 2, stride=1),")],
            ["Discriminator_structure", "Discriminator_structure_hidden"], ["block 2", "stride"]),
    Mistake("sigmoid_instead_of_tanh",
            [("cell:make_gen_block", "nn.Tanh(),", "nn.Sigmoid(),")],
            ["make_gen_block_final"], ["Sigmoid", "Tanh"]),
    Mistake("no_detach_in_discriminator_loss",
            [("cell:get_disc_loss", "fake = gen(noise).detach()", "fake = gen(noise)")],
            ["get_disc_loss_detach"], ["detach"]),
    Mistake("init_not_applied",
            [("cell:models", "gen = gen.apply(weights_init)\ndisc = disc.apply(weights_init)\n", "")],
            ["models_initialised"], ["gen = gen.apply(weights_init)"]),
    Mistake("init_applied_to_the_generator_only",
            [("cell:models", "disc = disc.apply(weights_init)\n", "")],
            ["models_initialised"], ["disc = disc.apply(weights_init)", "discriminator"]),
    # more that real students write
    Mistake("init_leaves_batchnorm_at_its_default",
            [("cell:weights_init", "        nn.init.normal_(m.weight, 1.0, 0.02)\n", "")],
            ["weights_init_statistics", "weights_init_statistics_hidden"],
            ["BatchNorm2d weights are all 1"]),
    Mistake("init_std_ten_times_too_large",
            [("cell:weights_init", "nn.init.normal_(m.weight, 0.0, 0.02)", "nn.init.normal_(m.weight, 0.0, 0.2)")],
            ["weights_init_statistics", "weights_init_statistics_hidden"],
            ["standard deviation", "N(0, 0.02)"]),
    Mistake("init_misses_transposed_convolutions",
            [("cell:weights_init", "isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))",
              "type(m) is nn.Conv2d")],
            ["weights_init_statistics", "models_initialised"], ["ConvTranspose2d weights"]),
    Mistake("default_leaky_relu_slope",
            [("cell:make_disc_block", "nn.LeakyReLU(0.2, inplace=True)", "nn.LeakyReLU(inplace=True)")],
            ["make_disc_block_layers"], ["0.2"]),
    Mistake("discriminator_ends_with_sigmoid",
            [("cell:make_disc_block", "# logits, no activation\n    )",
              "# logits, no activation\n        nn.Sigmoid(),\n    )")],
            ["make_disc_block_final"], ["sigmoid"]),
    Mistake("batchnorm_after_the_relu",
            [("cell:make_gen_block", GEN_BN + "            nn.ReLU(inplace=True),             # values >= 0\n",
              "            nn.ReLU(),\n" + GEN_BN)],
            ["make_gen_block_layers"], ["after the ReLU"]),
    Mistake("generator_forgets_final_layer",
            [("cell:Generator", "kernel_size=4, final_layer=True)", "kernel_size=4)")],
            ["Generator_structure", "Generator_structure_hidden"], ["final_layer=True"]),
    Mistake("discriminator_returns_four_dimensions",
            [("cell:Discriminator", "return disc_pred.view(len(disc_pred), -1)      # (n, 1)",
              "return disc_pred")],
            ["Discriminator_structure"], ["(n, 1)"]),
    Mistake("generator_eval_inside_forward",
            [("cell:Generator", "        return self.gen(x)", "        self.eval()\n        return self.gen(x)")],
            ["Generator_structure", "Generator_structure_hidden"], ["self.eval()"]),
    Mistake("discriminator_optimizer_in_generator_step",
            [("cell:update_generator", "gen_opt.zero_grad()", "disc_opt.zero_grad()"),
             ("cell:update_generator", "gen_opt.step()", "disc_opt.step()")],
            ["update_generator_isolation", "update_generator_isolation_hidden"], ["gen_opt"]),
]

GEN_SEQUENTIAL = """        self.gen = nn.Sequential(
            make_gen_block(z_dim, hidden_dim * 4),                                 # -> (n, 4h, 3, 3)
            make_gen_block(hidden_dim * 4, hidden_dim * 2, kernel_size=4, stride=1),  # -> (n, 2h, 6, 6)
            make_gen_block(hidden_dim * 2, hidden_dim),                            # -> (n, h, 13, 13)
            make_gen_block(hidden_dim, im_chan, kernel_size=4, final_layer=True),  # -> (n, c, 28, 28)
        )"""
GEN_FORWARD = """        x = noise.view(len(noise), self.z_dim, 1, 1)   # (n, z_dim, 1, 1): z as a 1 x 1 image
        return self.gen(x)"""
DISC_SEQUENTIAL_BLOCK = """    if not final_layer:
        return nn.Sequential(
            nn.Conv2d(input_channels, output_channels, kernel_size, stride),  # H -> H'
            nn.BatchNorm2d(output_channels),    # normalise each channel over the batch
            nn.LeakyReLU(0.2, inplace=True),    # x if x > 0 else 0.2 * x
        )"""

# Correct solutions in other styles: each must keep full marks.
STYLES = {
    # a list of blocks that forward walks through, the noise reshaped with unsqueeze
    "generator_as_a_list_of_blocks": [
        ("cell:Generator", GEN_SEQUENTIAL,
         "        sizes = [(z_dim, hidden_dim * 4, 3, 2), (hidden_dim * 4, hidden_dim * 2, 4, 1),\n"
         "                 (hidden_dim * 2, hidden_dim, 3, 2)]\n"
         "        self.blocks = nn.ModuleList(make_gen_block(a, b, k, s) for a, b, k, s in sizes)\n"
         "        self.blocks.append(make_gen_block(hidden_dim, im_chan, 4, final_layer=True))"),
        ("cell:Generator", GEN_FORWARD,
         "        x = noise.unsqueeze(-1).unsqueeze(-1)\n"
         "        for block in self.blocks:\n"
         "            x = block(x)\n"
         "        return x")],
    # a block of the student's own, with F.leaky_relu in its forward; flatten in the network
    "discriminator_block_with_functional_leaky_relu": [
        ("cell:make_disc_block", DISC_SEQUENTIAL_BLOCK,
         "    class Block(nn.Module):\n"
         "        def __init__(self):\n"
         "            super().__init__()\n"
         "            self.conv = nn.Conv2d(input_channels, output_channels, kernel_size, stride)\n"
         "            self.norm = nn.BatchNorm2d(output_channels)\n\n"
         "        def forward(self, x):\n"
         "            return torch.nn.functional.leaky_relu(self.norm(self.conv(x)), 0.2)\n\n"
         "    if not final_layer:\n"
         "        return Block()"),
        ("cell:Discriminator", "return disc_pred.view(len(disc_pred), -1)      # (n, 1)",
         "return torch.flatten(disc_pred, 1)")],
    # pytorch/examples' dcgan/main.py: layers found by class name; Coursera's N(0, 0.02) for BN
    "init_by_class_name_with_coursera_batchnorm": [
        ("cell:weights_init",
         "    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):\n"
         "        nn.init.normal_(m.weight, 0.0, 0.02)\n"
         "    if isinstance(m, nn.BatchNorm2d):\n"
         "        nn.init.normal_(m.weight, 1.0, 0.02)\n"
         "        nn.init.constant_(m.bias, 0.0)\n",
         "    classname = m.__class__.__name__\n"
         "    if classname.find('Conv') != -1:\n"
         "        m.weight.data.normal_(0.0, 0.02)\n"
         "    elif classname.find('BatchNorm') != -1:\n"
         "        m.weight.data.normal_(0.0, 0.02)\n"
         "        m.bias.data.fill_(0)\n")],
    # the init inside the models cell written as a loop; no_grad fakes in the discriminator loss
    "init_in_a_loop_and_no_grad_fakes": [
        ("cell:models", "gen = gen.apply(weights_init)\ndisc = disc.apply(weights_init)\n",
         "for net in (gen, disc):\n    net.apply(weights_init)\n"),
        ("cell:get_disc_loss", "    fake = gen(noise).detach()  ",
         "    with torch.no_grad():\n        fake = gen(noise)\n    ")],
}
