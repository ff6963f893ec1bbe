#!/usr/bin/env bash
# Session 4 (2026-11-29): the rest of #6 on two lanes of one thread each. Lane A: the GAN's
# label sweep (20 retrains of about 6 min). Lane B: the label sweeps of SimCLR and the
# autoencoder, then the sampler and pruning benchmarks, which resume from
# results/bench-search.db.
set -u
cd "$(dirname "$0")/.."
bash results/run_label_sweep.sh gan &
{ bash results/run_label_sweep.sh "contrastive autoencoder"
  JOBS=1 THREADS=1 bash results/run_search_benchmarks.sh; } &
wait
