#!/usr/bin/env bash
# The second and later rounds of recipes (issue 15), for the runs that missed the 3-minute GPU
# target in the first round (bench/recipe_sweep.sh): gan_tutorial, training_a_gan and gan_project's
# train_pl.py; round 7 is dropout_gan's, whose shipped run missed it when it ran alone. Every run
# of one round at once, spread over the visible GPUs, each for BUDGET seconds.
#
#   GAN_COURSE_DATA=/path/to/mnist OUT=/tmp/sweep BUDGET=300 ROUND=2 bash bench/recipe_sweep_2.sh
#   GAN_COURSE_DATA=/path/to/mnist OUT=/tmp/sweep BUDGET=240 ROUND=3 bash bench/recipe_sweep_2.sh
#   GAN_COURSE_DATA=/path/to/mnist OUT=/tmp/sweep BUDGET=300 ROUND=4 bash bench/recipe_sweep_2.sh
#   GAN_COURSE_DATA=/path/to/mnist OUT=/tmp/sweep BUDGET=300 ROUND=7 bash bench/recipe_sweep_2.sh
#
# Several runs share each GPU (and its host's cores), so each runs slower than it would alone:
# compare the step counts at each mark, not the seconds. Each run appends its JSON lines to
# $OUT/sweep.jsonl (bench/training.py); the grids and console output go into $OUT/sweep.tgz.
#
# The gan_tutorial runs edit the notebook as it was before round 6 (the seed's networks and its
# DataLoader line): after round 6 the notebook ships the winner, so their --replace texts are no
# longer in it and bench/training.py stops at once. To re-run them, check out commit 72a80e4.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/sweep}
BUDGET=${BUDGET:-300}
ROUND=${ROUND:-2}
MARKS="60 120 180 240 300"
GPUS=$(python -c "import torch; print(max(1, torch.cuda.device_count()))")
mkdir -p "$OUT" /tmp/sweep_runs
i=0
run() {  # tag assignment args...
    local tag=$1; shift
    mkdir -p "/tmp/sweep_runs/$(dirname "$tag")"
    CUDA_VISIBLE_DEVICES=$((i % GPUS)) python bench/training.py "$@" --budget "$BUDGET" --marks $MARKS \
        --threads 1 --tag "$tag" --out "/tmp/sweep_runs/$tag" --log "$OUT/sweep.jsonl" \
        > "/tmp/sweep_runs/$tag.log" 2>&1 &
    i=$((i + 1))
}
round2() {
# gan_tutorial: its networks, loss and betas are the seed's; the batch size lives inside `train`.
LOADER="torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)"
ON_DEVICE="__import__('gan_course.data', fromlist=['x']).DeviceBatches(mnist_data"
T="gan_tutorial --set num_epochs=100000"
run gan_tutorial/b100_lr2e-4     $T
run gan_tutorial/b256_lr4e-4     $T --replace "batch_size=100=>batch_size=256" --set learning_rate=4e-4
run gan_tutorial/b512_lr4e-4     $T --replace "batch_size=100=>batch_size=512" --set learning_rate=4e-4
run gan_tutorial/dev_b100_lr2e-4 $T --replace "$LOADER=>$ON_DEVICE, 100, device=device)"
run gan_tutorial/dev_b512_lr4e-4 $T --replace "$LOADER=>$ON_DEVICE, 512, device=device)" --set learning_rate=4e-4
run gan_tutorial/dev_b512_lr2e-4 $T --replace "$LOADER=>$ON_DEVICE, 512, device=device)"
# training_a_gan: the hidden widths are the student's choice (the grader checks the ends).
A="training_a_gan --set N_STEPS=100000000"
run training_a_gan/h512_lr1e-4        $A --set HIDDEN=512
run training_a_gan/h1024_lr1e-4       $A --set HIDDEN=1024
run training_a_gan/h512_lr2e-4        $A --set HIDDEN=512 --set LEARNING_RATE=2e-4
run training_a_gan/h512_b256_lr2e-4   $A --set HIDDEN=512 --set BATCH_SIZE=256 --set LEARNING_RATE=2e-4
run training_a_gan/h1024_lr2e-4_b0.5  $A --set HIDDEN=1024 --set LEARNING_RATE=2e-4 --set "BETAS=(0.5, 0.999)"
# gan_project's Lightning trainer: slower per step than the plain loop, so bigger batches.
P="gan_project --trainer pl --set epochs=100000"
run gan_project/pl_b1024_lr6e-4 $P --set batch_size=1024 --set lr=6e-4
run gan_project/pl_b1024_lr8e-4 $P --set batch_size=1024 --set lr=8e-4
run gan_project/pl_b2048_lr1e-3 $P --set batch_size=2048 --set lr=1e-3
}
# Round 3, after round 2: gan_tutorial's seed networks collapse whatever the batch and rate (the
# seed says "you can use ... other techniques"), so deeper generators, with the batches on the
# device; training_a_gan around round 2's best (width 1024, lr 2e-4, beta1 0.5); train_pl alone-ish.
round3() {
LOADER="torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)"
ON_DEVICE="__import__('gan_course.data', fromlist=['x']).DeviceBatches(mnist_data, 100, device=device)"
T="gan_tutorial --set num_epochs=100000"
DEV="$LOADER=>$ON_DEVICE"
TWO="nn.Linear(300, 28 * 28),=>nn.Linear(300, 600), nn.LeakyReLU(0.2, inplace=True), nn.Linear(600, 28 * 28),"
IN3="nn.Linear(NOISE_DIM, 300),=>nn.Linear(NOISE_DIM, 256), nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 1024),"
OUT3="nn.Linear(300, 28 * 28),=>nn.Linear(1024, 28 * 28),"
run gan_tutorial/dev_g300-600_lr2e-4       $T --replace "$DEV" --replace "$TWO"
run gan_tutorial/dev_g256-512-1024_lr2e-4  $T --replace "$DEV" --replace "$IN3" --replace "$OUT3"
run gan_tutorial/dev_g256-512-1024_lr1e-4  $T --replace "$DEV" --replace "$IN3" --replace "$OUT3" --set learning_rate=1e-4
A="training_a_gan --set N_STEPS=100000000 --set LEARNING_RATE=2e-4"
run training_a_gan/h1024_lr2e-4_b0.5 $A --set HIDDEN=1024 --set "BETAS=(0.5, 0.999)"
run training_a_gan/h512_lr2e-4_b0.5  $A --set HIDDEN=512 --set "BETAS=(0.5, 0.999)"
run training_a_gan/h1024_lr1e-4_b0.5 $A --set HIDDEN=1024 --set "BETAS=(0.5, 0.999)" --set LEARNING_RATE=1e-4
P="gan_project --trainer pl --set epochs=100000"
run gan_project/pl_b512_lr4e-4  $P
run gan_project/pl_b1024_lr6e-4 $P --set batch_size=1024 --set lr=6e-4
}
# Round 4 (this session): round 3 was never run (the session was cut off), and a CPU trial of
# round 3's deeper generator (256-512-1024 against the seed's discriminator) was still noise after
# 10k steps, and a wide one-layer generator (1024) went the seed's way (8 digits, 47 % at 5.6k
# steps; 6 digits, 65 % at 14k). So: the deeper generator, the deeper generator against a deeper
# discriminator, and each discriminator with dropout (as dropout_gan's, which meets the target);
# training_a_gan's shipped GPU recipe run long (does it hold its digits?) and train_pl's shipped
# GPU defaults (batch 1024, lr 6e-4).
round4() {
LOADER="torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)"
ON_DEVICE="__import__('gan_course.data', fromlist=['x']).DeviceBatches(mnist_data, 100, device=device)"
T="gan_tutorial --set num_epochs=100000"
DEV="$LOADER=>$ON_DEVICE"
IN3="nn.Linear(NOISE_DIM, 300),=>nn.Linear(NOISE_DIM, 256), nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 1024),"
OUT3="nn.Linear(300, 28 * 28),=>nn.Linear(1024, 28 * 28),"
D3="nn.Linear(28 * 28, 300),=>nn.Linear(28 * 28, 1024), nn.LeakyReLU(0.2, inplace=True), nn.Linear(1024, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 300),"
DROP1="nn.Linear(300, 100),=>nn.Dropout(0.2), nn.Linear(300, 100),"
DROP2="nn.Linear(100, 1),=>nn.Dropout(0.2), nn.Linear(100, 1),"
D3DROP="nn.Linear(28 * 28, 300),=>nn.Linear(28 * 28, 1024), nn.LeakyReLU(0.2, inplace=True), nn.Dropout(0.2), nn.Linear(1024, 512), nn.LeakyReLU(0.2, inplace=True), nn.Dropout(0.2), nn.Linear(512, 300),"
run gan_tutorial/dev_g256-512-1024_lr2e-4   $T --replace "$DEV" --replace "$IN3" --replace "$OUT3"
run gan_tutorial/dev_g3_d3_lr2e-4           $T --replace "$DEV" --replace "$IN3" --replace "$OUT3" --replace "$D3"
run gan_tutorial/dev_seed_ddrop_lr2e-4      $T --replace "$DEV" --replace "$DROP1" --replace "$DROP2"
run gan_tutorial/dev_g3_d3drop_lr2e-4       $T --replace "$DEV" --replace "$IN3" --replace "$OUT3" --replace "$D3DROP" --replace "$DROP1" --replace "$DROP2"
# The shipped GPU recipes, with the seed's loop first (--seed-loop): their records of this round.
run training_a_gan/shipped_gpu training_a_gan --set N_STEPS=100000000 --seed-loop --seed-seconds 30
run gan_project/pl_shipped_gpu gan_project --trainer pl --set epochs=100000 --seed-loop --seed-seconds 30
}
# Round 5: every round-4 variant of gan_tutorial died (1 digit) or collapsed; the deeper networks
# at half the rate. training_a_gan's shipped run to its end; train_pl at both GPU candidates.
round5() {
LOADER="torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)"
ON_DEVICE="__import__('gan_course.data', fromlist=['x']).DeviceBatches(mnist_data, 100, device=device)"
T="gan_tutorial --set num_epochs=100000 --set learning_rate=1e-4"
DEV="$LOADER=>$ON_DEVICE"
IN3="nn.Linear(NOISE_DIM, 300),=>nn.Linear(NOISE_DIM, 256), nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 1024),"
OUT3="nn.Linear(300, 28 * 28),=>nn.Linear(1024, 28 * 28),"
D3="nn.Linear(28 * 28, 300),=>nn.Linear(28 * 28, 1024), nn.LeakyReLU(0.2, inplace=True), nn.Linear(1024, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 300),"
run gan_tutorial/dev_g3_lr1e-4     $T --replace "$DEV" --replace "$IN3" --replace "$OUT3"
run gan_tutorial/dev_g3_d3_lr1e-4  $T --replace "$DEV" --replace "$IN3" --replace "$OUT3" --replace "$D3"
run training_a_gan/shipped_full training_a_gan
run gan_project/pl_shipped_gpu gan_project --trainer pl --set epochs=100000
run gan_project/pl_b512_lr4e-4 gan_project --trainer pl --set epochs=100000 --set batch_size=512 --set lr=4e-4
}
# Round 6 (session 2026-12-06, second): every deeper generator of rounds 4 and 5 died and the
# seed's collapsed. What they lacked is what makes MLP GANs work elsewhere: batch norm in the
# generator (DCGAN's remedy for a generator collapsing to one point), a discriminator with more
# room, or a discriminator input centred on 0. Eight variants, all at the seed's batch, betas and
# loss, with the batches on the device.
round6() {
LOADER="torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)"
ON_DEVICE="__import__('gan_course.data', fromlist=['x']).DeviceBatches(mnist_data, 100, device=device)"
T="gan_tutorial --set num_epochs=100000"
DEV="$LOADER=>$ON_DEVICE"
BN1="nn.Linear(NOISE_DIM, 300),=>nn.Linear(NOISE_DIM, 300), nn.BatchNorm1d(300),"
BN1E="nn.Linear(NOISE_DIM, 300),=>nn.Linear(NOISE_DIM, 300), nn.BatchNorm1d(300, 0.8),"
G3BN="nn.Linear(NOISE_DIM, 300),=>nn.Linear(NOISE_DIM, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 1024), nn.BatchNorm1d(1024),"
G4BN="nn.Linear(NOISE_DIM, 300),=>nn.Linear(NOISE_DIM, 128), nn.LeakyReLU(0.2, inplace=True), nn.Linear(128, 256), nn.BatchNorm1d(256, 0.8), nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 512), nn.BatchNorm1d(512, 0.8), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 1024), nn.BatchNorm1d(1024, 0.8),"
IN3="nn.Linear(NOISE_DIM, 300),=>nn.Linear(NOISE_DIM, 256), nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 1024),"
OUT3="nn.Linear(300, 28 * 28),=>nn.Linear(1024, 28 * 28),"
CENTRE="x = x.view(x.size(0), -1)=>x = x.view(x.size(0), -1) * 2 - 1"
DW1="nn.Linear(28 * 28, 300),=>nn.Linear(28 * 28, 512),"
DW2="nn.Linear(300, 100),=>nn.Linear(512, 256),"
DW3="nn.Linear(100, 1),=>nn.Linear(256, 1),"
run gan_tutorial/dev_gbn            $T --replace "$DEV" --replace "$BN1"
run gan_tutorial/dev_gbn08          $T --replace "$DEV" --replace "$BN1E"
run gan_tutorial/dev_gbn_centre     $T --replace "$DEV" --replace "$BN1" --replace "$CENTRE"
run gan_tutorial/dev_g3bn           $T --replace "$DEV" --replace "$G3BN" --replace "$OUT3"
run gan_tutorial/dev_g4bn_d512      $T --replace "$DEV" --replace "$G4BN" --replace "$OUT3" --replace "$DW1" --replace "$DW2" --replace "$DW3"
run gan_tutorial/dev_g4bn           $T --replace "$DEV" --replace "$G4BN" --replace "$OUT3"
run gan_tutorial/dev_seed_centre    $T --replace "$DEV" --replace "$CENTRE"
run gan_tutorial/dev_g3_centre      $T --replace "$DEV" --replace "$IN3" --replace "$OUT3" --replace "$CENTRE"
}
# Round 7 (session 2026-12-06, third): dropout_gan's 50 epochs at lr 2e-4, alone on an H100,
# ended with 8 digits (40 % of the samples 1s). Four runs at 2e-4 from the notebook's seed (they
# differ only by the GPU's non-determinism), 1e-4 and 4e-4. As first run, the last three were
# meant to try batches of 256 and 512 too, but bench/training.py then applied --set batch_size
# after the cell that builds the batches and they ran with 128: this is what actually ran. The
# notebook has shipped lr 4e-4 since then.
round7() {
D="dropout_gan --set n_epochs=100000"
run lr2e-4_a $D --set lr=2e-4
run lr2e-4_b $D --set lr=2e-4
run lr2e-4_c $D --set lr=2e-4
run lr2e-4_d $D --set lr=2e-4
run lr1e-4   $D --set lr=1e-4
run lr4e-4   $D --set lr=4e-4
}
"round$ROUND"
wait
tar czf "$OUT/sweep.tgz" -C /tmp/sweep_runs . 2>/dev/null
grep -c '"kind": "training"' "$OUT/sweep.jsonl"
