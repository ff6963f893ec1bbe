#!/usr/bin/env bash
# Session 2 (2026-11-29): the benchmarks that need the cores to themselves, one after the
# other (the background retrain lanes were paused with SIGSTOP meanwhile).
set -u
cd "$(dirname "$0")/.."
source results/steps.sh
step parallel-scaling python benchmarks/parallel_scaling.py --trials 12 --append results/benchmarks.md
step epoch-throughput python benchmarks/epoch_throughput.py --append results/benchmarks.md
step overhead python benchmarks/overhead.py --repeats 3 --epochs 10 --append results/benchmarks.md
