#!/usr/bin/env bash
# The label-budget sweep of #6 (the paper's Table 1): the best configuration of each method
# from results/pipeline.db, retrained with 20, 50, 100 and 200 labels, 5 runs each, the
# labeled subset redrawn per run (data seed = model seed). Two lanes of one TensorFlow
# thread each; stored runs are reused, so rerunning continues where it stopped. SimCLR and
# the autoencoder pretrain once per seed: the label budgets share the cached encoder.
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
sweep gan & sweep supervised contrastive autoencoder & wait
step sweep-analyze python analyze.py --storage sqlite:///results/pipeline.db --out results
