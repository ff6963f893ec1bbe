#!/usr/bin/env bash
# The label-budget sweep of #6 (the paper's Table 1): the best configuration of each method
# from results/pipeline.db, retrained with 20, 50, 100 and 200 labels, 5 runs each, the
# labeled subset redrawn per run (data seed = model seed). Each argument is one lane, a
# quoted list of methods run one after the other with one TensorFlow thread; the lanes run
# side by side (default: the GAN beside the other three). Stored runs are reused, so
# rerunning continues where it stopped. SimCLR and the autoencoder pretrain once per seed:
# the label budgets share the cached encoder.
#
#   bash results/run_label_sweep.sh                       # both default lanes
#   bash results/run_label_sweep.sh gan "contrastive autoencoder"
set -u
cd "$(dirname "$0")/.."
source results/steps.sh
sweep() {  # sweep METHOD...
  for method in "$@"; do
    for labels in 20 50 100 200; do
      step "sweep-$method" python run_study.py --method "$method" --retrain 5 \
        --vary-labeled --n-labeled "$labels" --profile bench \
        --storage sqlite:///results/pipeline.db --threads 1
    done
  done
}
[ $# -gt 0 ] || set -- gan "supervised contrastive autoencoder"
for lane in "$@"; do
  # shellcheck disable=SC2086  # a lane is a word list of methods
  sweep $lane &
done
wait
step sweep-analyze python analyze.py --storage sqlite:///results/pipeline.db --out results
