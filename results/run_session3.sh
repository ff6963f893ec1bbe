#!/usr/bin/env bash
# Session 3 (2026-11-29): the last three GAN retrain seeds of #3, side by side. The runs
# still to make (seeds 2, 3, 4; 0 and 1 are stored) are split between three worker
# processes of one TensorFlow thread each, on the 2 cores.
set -u
cd "$(dirname "$0")/.."
source results/steps.sh
step gan-retrain python run_study.py --method gan --retrain 5 --profile bench --workers 3 \
  --threads 3
