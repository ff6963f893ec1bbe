#!/usr/bin/env bash
# The real-MNIST bench runs of the three semi-supervised methods (search, then 5-seed
# retrain), in the order they were run. Logs go to results/logs/<method>-*.log.
set -u
cd "$(dirname "$0")/.."
export MNIST_DIR="${MNIST_DIR:-../shared/data/mnist}"
N_TRIALS="${N_TRIALS:-8}"
for method in ${METHODS:-gan autoencoder contrastive}; do
  { date -u; echo "+ python run_study.py --method $method --sampler tpe --pruner median --n-trials $N_TRIALS --profile bench"
    /usr/bin/time -f "wall %e s, max RSS %M KB" python run_study.py --method "$method" \
      --sampler tpe --pruner median --n-trials "$N_TRIALS" --profile bench; date -u
  } > "results/logs/$method-tpe-search.log" 2>&1
  { date -u; echo "+ python run_study.py --method $method --retrain 5 --profile bench"
    /usr/bin/time -f "wall %e s, max RSS %M KB" python run_study.py --method "$method" \
      --retrain 5 --profile bench; date -u
  } > "results/logs/$method-retrain.log" 2>&1
done
