#!/usr/bin/env bash
# The GPU figures of record in docs/benchmarks.md, in one call of the device tool (about 8 minutes):
#
#   GAN_COURSE_DATA=/path/to/mnist OUT=/tmp/record BUDGET=180 bash bench/record_gpu.sh
#
# 1. first_gan alone on the GPU, with the seed's loop beside it (--seed-loop): the steps/s ratio.
# 2. The other four (gan_project with both trainers) side by side on the same GPU, each with its
#    seed loop. They share the GPU and its host, so each runs slower than it would alone: their
#    times to quality are upper bounds, and each ratio compares two loops under the same sharing.
#
# Every mark is one JSON line in $OUT/record.jsonl; the last grid of each run is $OUT/ID.png
# ($OUT/pl/gan_project.png for train_pl.py); the end of each console log is $OUT/ID.log.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/record}
BUDGET=${BUDGET:-180}
SEED_SECONDS=${SEED_SECONDS:-30}
MARKS="30 60 120 180"
mkdir -p "$OUT/pl" /tmp/record_logs
run() {  # name, then bench/training.py's arguments
    local name=$1; shift
    python bench/training.py "$@" --budget "$BUDGET" --marks $MARKS --seed-loop --seed-seconds "$SEED_SECONDS" \
        --log "$OUT/record.jsonl" > "/tmp/record_logs/$name.log" 2>&1
    tail -c 3000 "/tmp/record_logs/$name.log" > "$OUT/$name.log"
}
run first_gan first_gan --out "$OUT"
run gan_tutorial gan_tutorial --out "$OUT" --threads 2 &
run training_a_gan training_a_gan --out "$OUT" --threads 2 &
run dropout_gan dropout_gan --out "$OUT" --threads 2 &
run gan_project gan_project --out "$OUT" --threads 2 &
run gan_project_pl gan_project --trainer pl --out "$OUT/pl" --threads 2 &
wait
grep -c '"kind"' "$OUT/record.jsonl"
