#!/usr/bin/env bash
# Session 2 (2026-11-29): the runs #3 still missed, two lanes of one TensorFlow thread each.
#   lane A: the GAN retrain x5 (tops up: seeds already stored are reused)
#   lane B: the autoencoder retrain topped up to 5 seeds, then the paper GAN over 3 seeds
#           with test errors after every epoch
set -u
cd "$(dirname "$0")/.."
source results/steps.sh
lane_a() {
  step gan-retrain python run_study.py --method gan --retrain 5 --profile bench --threads 1
}
lane_b() {
  step autoencoder-retrain python run_study.py --method autoencoder --retrain 5 \
    --profile bench --threads 1
  step gan-paper-seeds python benchmarks/gan_paper_seeds.py --seeds 0 1 2 --epochs 10 \
    --threads 1 --append results/benchmarks.md
}
lane_a & lane_b & wait
