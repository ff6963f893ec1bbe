#!/usr/bin/env bash
# Sampler efficiency and pruning on the real baseline (#6, benchmarks 1 and 2). Long: about
# 400 bench trials. Every study resumes from results/bench-search.db, so rerunning this
# script after an interruption continues where it stopped; the tables are appended to
# results/benchmarks.md once every study has its trials.
set -u
cd "$(dirname "$0")/.."
source results/steps.sh
jobs="${JOBS:-1}"; threads="${THREADS:-1}"
step bench-samplers python benchmarks/samplers.py --trials 30 --jobs "$jobs" \
  --threads "$threads" --append results/benchmarks.md
step bench-pruning python benchmarks/pruning.py --trials 20 --jobs "$jobs" \
  --threads "$threads" --append results/benchmarks.md
