#!/usr/bin/env bash
# Try training recipes side by side on one GPU: every run below at once, each for BUDGET seconds.
#
#   GAN_COURSE_DATA=/path/to/mnist OUT=/tmp/sweep BUDGET=420 bash bench/recipe_sweep.sh
#
# The runs share the GPU (and its host's cores), so each runs slower than it would alone: read the
# step counts at each mark, not the minutes. Each run appends its JSON lines to $OUT/sweep.jsonl
# (bench/training.py); the grids and console output go into $OUT/sweep.tgz.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/sweep}
BUDGET=${BUDGET:-420}
MARKS="60 120 180 300 420 600"
mkdir -p "$OUT" /tmp/sweep_runs
run() {  # tag assignment args...
    local tag=$1; shift
    mkdir -p "/tmp/sweep_runs/$(dirname "$tag")"
    python bench/training.py "$@" --budget "$BUDGET" --marks $MARKS --threads 1 --tag "$tag" \
        --out "/tmp/sweep_runs/$tag" --log "$OUT/sweep.jsonl" > "/tmp/sweep_runs/$tag.log" 2>&1 &
}
run first_gan/lr2e-4_b0.5      first_gan      --set n_epochs=100000
run first_gan/lr1e-4_b0.5      first_gan      --set n_epochs=100000 --set lr=1e-4
run first_gan/seed_lr1e-5      first_gan      --set n_epochs=100000 --set lr=1e-5 --set "betas=(0.9, 0.999)"
run gan_tutorial/lr2e-4        gan_tutorial   --set num_epochs=100000
run gan_tutorial/lr1e-4        gan_tutorial   --set num_epochs=100000 --set learning_rate=1e-4
run training_a_gan/lr2e-4_b0.5 training_a_gan --set N_STEPS=100000000 --set LEARNING_RATE=2e-4 --set "BETAS=(0.5, 0.999)"
run training_a_gan/lr1e-4_b0.5 training_a_gan --set N_STEPS=100000000 --set "BETAS=(0.5, 0.999)"
run training_a_gan/seed_lr1e-4 training_a_gan --set N_STEPS=100000000
run dropout_gan/lr2e-4_b0.5    dropout_gan    --set n_epochs=100000
run gan_project/torch          gan_project    --set epochs=100000
run gan_project/pl             gan_project    --set epochs=100000 --trainer pl
wait
tar czf "$OUT/sweep.tgz" -C /tmp/sweep_runs . 2>/dev/null
grep -h -o '"kind": "training".\{0,160\}' "$OUT/sweep.jsonl" | wc -l
