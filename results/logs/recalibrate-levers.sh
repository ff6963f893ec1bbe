#!/bin/bash
# Waits for gan-levers' trials 22 and 27 to end, stops the levers pipeline between trials,
# fails the trials its workers had just started (no re-run), then recalibrates on 10.
# Run 2026-12-03 15:57-, log ~/recalibrate-levers.log: 22 and 27 ended by 16:04:29; the
# fail step failed trials 31 and 32 (started after them), then raised on setting their
# fail_reason (Optuna refuses attributes on a finished trial), so they carry none.
cd /work/main
DB=/root/ssl-hpo-live/levers.db
running() { python - "$@" <<'PY'
import sqlite3, sys
c = sqlite3.connect("/root/ssl-hpo-live/levers.db")
nums = [int(a) for a in sys.argv[1:]]
q = "select count(*) from trials t join studies s using(study_id) where s.study_name='gan-levers' and t.state='RUNNING' and t.number in (%s)" % ",".join(map(str, nums))
print(c.execute(q).fetchone()[0])
PY
}
while [ "$(running 22 27)" != "0" ]; do sleep 20; done
date -u; echo "22 and 27 ended; stopping the levers pipeline"
pkill -f "bash results/pipeline.sh levers"; pkill -f "run_study.py --method gan --sampler tpe-multivariate"
sleep 5; pkill -9 -f "run_study.py --method gan --sampler tpe-multivariate"; pkill -9 -f "multiprocessing.spawn"
sleep 100
python - <<'PY'
import optuna
from optuna.storages import RDBStorage, fail_stale_trials
optuna.logging.set_verbosity(optuna.logging.WARNING)
storage = RDBStorage("sqlite:////root/ssl-hpo-live/levers.db", heartbeat_interval=30, grace_period=90)
study = optuna.load_study(study_name="gan-levers", storage=storage)
before = [t.number for t in study.trials if t.state.name == "RUNNING"]
fail_stale_trials(study)
for n in before:
    t = study.trials[n]
    study._storage.set_trial_user_attr(t._trial_id, "fail_reason", "killed to recalibrate the study on 10 (results/README.md step 40)")
print("failed without re-run:", before, [study.trials[n].state.name for n in before])
PY
date -u; echo "recalibrating"
DB_DIR=~/ssl-hpo-live MNIST_DIR=/work/shared/data/mnist RECALIBRATE=1 nice -n 10 bash results/pipeline.sh levers
date -u; echo "levers stage ended; levers-select"
DB_DIR=~/ssl-hpo-live MNIST_DIR=/work/shared/data/mnist nice -n 10 bash results/pipeline.sh levers-select
