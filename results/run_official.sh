#!/usr/bin/env bash
# The paper's number, measured (#16): the GAN's official MNIST setting under the official
# Improved-GAN protocol (profile `official`: all 60,000 images unlabeled, 300 epochs of 600
# steps, official Adam, no early stopping, test curve every 10 epochs), 5 seeds with the
# labeled subset redrawn per seed. Two worker processes of one TensorFlow thread each.
# Resumes: finished runs are stored in results/official.db and reused; unfinished ones
# restart from their last epoch's checkpoint (kept outside the work tree, in
# $SSL_HPO_CHECKPOINTS, default ~/ssl-hpo-checkpoints).
set -u
cd "$(dirname "$0")/.."
source results/steps.sh
checkpoints="${SSL_HPO_CHECKPOINTS:-$HOME/ssl-hpo-checkpoints}"
step official-gan-retrain nice -n 10 python run_study.py --method gan --retrain 5 --reference \
  --vary-labeled --profile official --storage sqlite:///results/official.db \
  --checkpoint-dir "$checkpoints" --workers 2 --threads 2
