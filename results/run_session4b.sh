#!/usr/bin/env bash
# Session 4, added while run_session4.sh ran. Once lane A (the GAN's label sweep) is done:
# lane B (the sampler studies) is paused (SIGSTOP) while the epoch-throughput and overhead
# benchmarks rerun on the final code with the cores to themselves; then lane B resumes and
# lane A's core runs the pruning benchmark's own studies (hyperband and no pruning, TPE
# seeds 0-2). The TPE + median studies both benchmarks share stay with lane B, so that no
# study ever has two workers.
set -u
cd "$(dirname "$0")/.."
source results/steps.sh
while pgrep -f "run_label_sweep.sh gan" > /dev/null; do sleep 30; done
lane_b='benchmarks/samplers.py|--study-name supervised-'
pkill -STOP -f "$lane_b"
step epoch-throughput python benchmarks/epoch_throughput.py --append results/benchmarks.md
step overhead python benchmarks/overhead.py --repeats 3 --epochs 10 --append results/benchmarks.md
pkill -CONT -f "$lane_b"
step bench-pruning-laneA python benchmarks/pruning.py --pruners hyperband none --trials 20 \
  --jobs 1 --threads 1
