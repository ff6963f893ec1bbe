#!/usr/bin/env bash
# The real-MNIST bench runs of the three semi-supervised methods, as they were run:
#   1. the GAN search (8 trials), alone;
#   2. then three lanes side by side, one TensorFlow thread each:
#        lane A: GAN retrain x5
#        lane B: autoencoder search (3 trials), autoencoder retrain x5
#        lane C: SimCLR search (3 trials), SimCLR retrain x5
# Every step's exact command and wall time are in results/logs/<method>-*.log.
set -u
cd "$(dirname "$0")/.."
source results/steps.sh

if [ "${SKIP_GAN_SEARCH:-0}" != 1 ]; then
  step gan-tpe-search python run_study.py --method gan --sampler tpe --pruner median --n-trials 8 --profile bench
fi
lane_a() {
  step gan-retrain python run_study.py --method gan --retrain 5 --profile bench --threads 1
}
lane_b() {
  step autoencoder-tpe-search python run_study.py --method autoencoder --sampler tpe --pruner median \
    --n-trials 3 --profile bench --threads 1
  step autoencoder-retrain python run_study.py --method autoencoder --retrain 5 --profile bench --threads 1
}
lane_c() {
  step contrastive-tpe-search python run_study.py --method contrastive --sampler tpe --pruner median \
    --n-trials 3 --profile bench --threads 1
  step contrastive-retrain python run_study.py --method contrastive --retrain 5 --profile bench --threads 1
}
lane_a & lane_b & lane_c & wait
