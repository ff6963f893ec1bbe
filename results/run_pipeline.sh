#!/usr/bin/env bash
# The full MNIST-100 comparison of #6 at the bench profile: each method searched, its best
# configuration retrained 5 times on the test set, then the report. Two lanes of one
# TensorFlow thread each share the 2 cores:
#   lane A: the GAN (search: TPE, median pruning, 12 trials or 60 minutes; retrain x5)
#   lane B: the baseline (20 trials), SimCLR (6) and the autoencoder (5), each retrained x5
# Every step resumes from results/pipeline.db: rerunning the script after an interruption
# tops each search up to its trial count and reuses the retrain seeds already stored.
set -u
cd "$(dirname "$0")/.."
source results/steps.sh
common=(--profile bench --storage sqlite:///results/pipeline.db --threads 1)
search() {  # search METHOD N_TRIALS TIMEOUT_S, then retrain its best configuration x5
  step "pipeline-$1-search" python run_study.py --method "$1" --sampler tpe --pruner median \
    --n-trials "$2" --timeout "$3" "${common[@]}"
  step "pipeline-$1-retrain" python run_study.py --method "$1" --retrain 5 "${common[@]}"
}
lane_a() { search gan 12 3600; }
lane_b() { search supervised 20 1200; search contrastive 6 1800; search autoencoder 5 1800; }
lane_a & lane_b & wait
step pipeline-analyze python analyze.py --storage sqlite:///results/pipeline.db --out results
