#!/usr/bin/env bash
# Every committed result of ssl-hpo as one resumable pipeline of named stages:
#
#   bash results/pipeline.sh STAGE...        e.g.  bash results/pipeline.sh search retrain report
#
# Comparison (#15), in results/comparison.db:
#   search       each method searched with TPE and Hyperband at the `final` profile: the top
#                rung is the full budget, the lower rungs are the low-fidelity evaluations;
#                the baseline twice, with augmentation searchable and held off
#   retrain      per study: the 3 best trials re-evaluated with 3 fresh model seeds on the
#                search's labeled subset, validation only (profile $SELECT_PROFILE), then the
#                best mean retrained 5 times at `final`
#   sweep        the winners retrained with 20, 50, 100 and 200 labels (subset redrawn per
#                run), $SWEEP_RUNS runs per label count (default 5); $SWEEP_LABELS narrows
#                the label counts, in the order given, so that a second lane can take
#                another share of one study's sweep
#   fidelity     per study: does the selection at `select` rank the top 3 as `final` does
#                (the GAN's 30 of 120 epochs; at most 20 of 50 pretraining epochs)
# Fidelity calibration (#32), in results/calibration.db:
#   calibrate    per method of $CALIBRATE (default: supervised autoencoder contrastive), a
#                study `<method>-calibration` at `final` of N configurations trained in
#                full (the reference, if any, and N-1 random draws; N: 8 for the baseline,
#                6 for the pretraining methods): Kendall's tau of every rung against the
#                final value, and where Hyperband's pruning would start; then the
#                pretraining methods' N configurations run once more at `select`, ranked
#                against their `final` values (benchmarks/selection_fidelity.py --high
#                search, into results/benchmarks.md): does `select`, which cuts
#                pretraining at 20 epochs, rank like `final` for them?
# Beating the paper's hand-tuned GAN (#33), in results/levers.db:
#   levers       the study `gan-levers` at `final`: the paper's MLP body held, its training
#                levers searched (lr and its schedule, G's own lr, both Adam betas,
#                consistency, conditional entropy, label shifts, minibatch discrimination,
#                historical averaging, with lr, batch, z_dim, weights, noises, EMA);
#                calibrated with 10 configurations (the paper setting and 9 drawn), then
#                multivariate TPE with the calibrated Hyperband to $LEVER_TRIALS trials
#                (default 40). It was calibrated on 8 first; 2 of them collapsed, so tau
#                rested on 6, and RECALIBRATE=1 topped the calibration up to 10 and
#                measured it again (passes --recalibrate; results/README.md step 40)
#   levers-select  its top 3, each with 3 labeled draws at `final`, validation only, then
#                the winner through the official protocol: `--profile official`, 5 runs with
#                data seed = model seed = 0-4, the draws of results/official.db, with
#                levers-ablate of the winner beside them on one worker at nice 19 (it
#                takes the core the last official run leaves idle, and all of them once
#                the official runs end); if the winner is the paper setting, whose runs
#                those are, it stops at the choice
#   levers-ablate  the path from the paper setting to the winner (trial $ABLATE_TRIAL):
#                each changed parameter reverted alone, then the paper setting itself,
#                2 redrawn draws each, validation only, at $ABLATE_PROFILE (default
#                select: 30 of 120 epochs)
# The modern anchor (#35), in results/fixmatch.db (after the GAN's campaign: two cores):
#   fixmatch     FixMatch searched at `final`: calibrated on 6 (its published setting and
#                5 drawn), Hyperband, 16 trials; its top 3 selected over 3 redrawn labeled
#                subsets; then, side by side on one worker each, 5 retrains on the search's
#                subset and 5 with the labels redrawn per run
#   fixmatch-sweep  the chosen configuration at each of $SWEEP_LABELS, $SWEEP_RUNS runs,
#                labels redrawn per run, as the sweep stage does for the other methods (the
#                runs at 100 labels are fixmatch's redrawn retrains, reused)
#   snapshot     copies every database of $DB_DIR into results/ (SQLite's online backup: a
#                consistent copy while a campaign writes) if it changed since, to commit
#   report       analyze.py over every database below -> results/REPORT.md, report.html,
#                report.png, summary.md, studies.csv, retrain.csv, plots/
# The paper's protocol (#16), in results/official.db:
#   official     the GAN's official setting, 300 epochs of 600 steps, 5 seeds
# Earlier results, reproducible as they were made:
#   bench        the first comparison at the `bench` profile (results/pipeline.db)
#   bench-sweep  its label sweep
#   benchmarks   epoch throughput, overhead, parallel scaling, the paper GAN over 3 seeds,
#                Keras' against the official Adam form for the GAN at `final`
#   search-benchmarks  sampler efficiency and pruning on the baseline (results/bench-search.db)
#
# The databases live in $DB_DIR (default results/). A long campaign is better run with
# DB_DIR=~/ssl-hpo-live: outside the work tree it outlives a work tree laid anew, and a
# `snapshot` stage puts its consistent copy into results/ for each commit. Training
# commands take that copy too, every $SNAPSHOT_SECONDS seconds (default 600) and when they
# end, so a session cut off before it commits leaves its runs in the work tree. A
# database that is in results/ but not yet in $DB_DIR is copied there first, so a fresh
# machine goes on from the committed state.
#
# Every stage resumes: studies top up to their trial counts, stored retrain and selection
# runs are reused, and an interrupted run restarts from its last epoch's checkpoint (kept
# in $SSL_HPO_CHECKPOINTS, default ~/ssl-hpo-checkpoints, outside the work tree). Training
# runs at low priority (at nice level $NICE, default 10, whatever the niceness the pipeline
# was started with, if lower), with at most $WORKERS training processes
# at once (default 2, one TensorFlow thread each: this machine has 2 cores; levers-select
# adds its ablation's one at nice 19). Each command, its output and its wall
# time are appended to results/logs/<stage>-<what>.log. $STUDIES narrows the comparison's
# stages to some studies, in the order given, e.g.
#   STUDIES="supervised-final gan-final" bash results/pipeline.sh search retrain
set -u
cd "$(dirname "$0")/.."
export MNIST_DIR="${MNIST_DIR:-../shared/data/mnist}"
WORKERS="${WORKERS:-2}"
NICE="${NICE:-10}"
DB_DIR="${DB_DIR:-results}"
CHECKPOINTS="${SSL_HPO_CHECKPOINTS:-$HOME/ssl-hpo-checkpoints}"
SELECT_PROFILE="${SELECT_PROFILE:-select}"
SWEEP_RUNS="${SWEEP_RUNS:-5}"
SNAPSHOT_SECONDS="${SNAPSHOT_SECONDS:-600}"
read -r -a SWEEP_LABELS <<< "${SWEEP_LABELS:-20 50 100 200}"
METHODS=(supervised autoencoder contrastive gan)
declare -A TRIALS=([supervised]=40 [autoencoder]=16 [contrastive]=16 [gan]=20)

step() {  # step LOG COMMAND...: runs COMMAND, appending its line, output and wall time to
  # LOG; returns COMMAND's status
  local log="$1" status; shift
  { date -u; echo "+ $*"
    /usr/bin/time -f "wall %e s, max RSS %M KB" "$@"; status=$?; date -u
  } >> "results/logs/$log.log" 2>&1
  return "$status"
}

nice_increment() {  # the increment that puts a command at nice level $NICE, or 0
  # $NICE is a level, not an increment: a pipeline started under `nice -n 10` would
  # otherwise run its official runs at 19 beside its ablation, and share the cores evenly.
  local base; base=$(nice)
  echo $(( NICE > base ? NICE - base : 0 ))
}

train() {  # train LOG run_study.py-ARGS...: one nice'd run_study.py command on all workers
  local keeper="" status
  # A session can end, or its machine be replaced, before anything is committed: a live
  # $DB_DIR outside the work tree is then lost with hours of runs, while the work tree's
  # changes are kept. So its databases are copied into results/ while a command trains.
  if ! db_dir_is_results; then
    snapshot_every "$SNAPSHOT_SECONDS" &
    keeper=$!
  fi
  step "$1" nice -n "$(nice_increment)" python run_study.py "${@:2}" \
    --workers "$WORKERS" --threads "$WORKERS" --checkpoint-dir "$CHECKPOINTS"
  status=$?
  if [ -n "$keeper" ]; then
    kill "$keeper"; wait "$keeper"
    stage_snapshot
  fi
  return "$status"
}

snapshot_every() {  # snapshot_every SECONDS: stage_snapshot every SECONDS until sent TERM
  # The trap waits for a copy in progress: TERM never leaves a half-written database.
  local pause=""
  trap 'kill "$pause" 2> /dev/null; exit 0' TERM
  while :; do
    sleep "$1" & pause=$!
    wait "$pause"
    stage_snapshot
  done
}

comparison=(--storage sqlite:///$DB_DIR/comparison.db)
declare -A CALIBRATION_N=([supervised]=8 [autoencoder]=6 [contrastive]=6 [gan]=8)
# The methods whose `select` profile differs from `final` in what they read (pretraining
# epochs), where a calibration says nothing about `select` by itself.
PRETRAINING=(autoencoder contrastive)
read -r -a CALIBRATE <<< "${CALIBRATE:-supervised autoencoder contrastive}"

# The comparison's studies: name -> method and the parameters it holds. The baseline is
# searched twice, with augmentation searchable and without it (Oliver et al. 2018: the
# comparison is against the strong one, the weak one stays a row).
# Named apart from the `bench` studies of pipeline.db, which the report reads beside them.
declare -A STUDY_METHOD=([supervised-final]=supervised [autoencoder-final]=autoencoder
  [contrastive-final]=contrastive [gan-final]=gan [supervised-final-augment-False]=supervised)
declare -A STUDY_FIX=([supervised-final-augment-False]="--fix augment=False")
read -r -a STUDIES <<< "${STUDIES:-supervised-final autoencoder-final contrastive-final gan-final supervised-final-augment-False}"

stage_search() {
  for study in "${STUDIES[@]}"; do
    local method="${STUDY_METHOD[$study]}"
    # shellcheck disable=SC2086  # STUDY_FIX holds separate words on purpose
    train "comparison-$study-search" --method "$method" --sampler tpe --pruner hyperband \
      --n-trials "${TRIALS[$method]}" --profile final ${STUDY_FIX[$study]:-} \
      --study-name "$study" "${comparison[@]}"
  done
}

stage_retrain() {
  for study in "${STUDIES[@]}"; do
    # --select-labels fixed: these selections ran before selection redrew the labels.
    train "comparison-$study-retrain" --method "${STUDY_METHOD[$study]}" --retrain 5 \
      --select 3 --select-seeds 3 --select-labels fixed \
      --select-profile "$SELECT_PROFILE" --profile final \
      --study-name "$study" "${comparison[@]}"
  done
}

stage_sweep() {
  for study in "${STUDIES[@]}"; do
    for labels in "${SWEEP_LABELS[@]}"; do
      train "comparison-$study-sweep" --method "${STUDY_METHOD[$study]}" \
        --retrain "$SWEEP_RUNS" --select-labels fixed \
        --vary-labeled --n-labeled "$labels" --select-profile "$SELECT_PROFILE" \
        --profile final --study-name "$study" "${comparison[@]}"
    done
  done
}

stage_fidelity() {
  # A method that reads no field in which `select` and `final` differ (the baseline) has
  # the same fingerprint at both, so its selection runs are reused and it costs nothing.
  for study in "${STUDIES[@]}"; do
    step selection-fidelity nice -n "$(nice_increment)" python benchmarks/selection_fidelity.py \
      --storage sqlite:///$DB_DIR/comparison.db --study-name "$study" \
      --checkpoint-dir "$CHECKPOINTS" --threads "$WORKERS" --append results/benchmarks.md
  done
}

stage_calibrate() {
  for method in "${CALIBRATE[@]}"; do
    local n="${CALIBRATION_N[$method]}"
    train "calibration-$method" --method "$method" --sampler tpe --pruner hyperband \
      --calibrate "$n" --n-trials "$n" --profile final --study-name "$method-calibration" \
      --storage sqlite:///$DB_DIR/calibration.db || continue
    # `select` pretrains at most 20 of `final`'s 50 epochs, a budget no rung of a `final`
    # run measures: the N configurations run once more at `select` (1 fresh seed each),
    # ranked against their own `final` values.
    [[ " ${PRETRAINING[*]} " == *" $method "* ]] || continue
    step "calibration-$method-select" nice -n "$(nice_increment)" \
      python benchmarks/selection_fidelity.py \
      --storage sqlite:///$DB_DIR/calibration.db --study-name "$method-calibration" \
      --top "$n" --seeds 1 --high search --checkpoint-dir "$CHECKPOINTS" \
      --threads "$WORKERS" --append results/benchmarks.md
    db_dir_is_results || stage_snapshot
  done
}

stage_levers() {
  train gan-levers-search --method gan --sampler tpe-multivariate --pruner hyperband \
    --calibrate 10 ${RECALIBRATE:+--recalibrate} --n-trials "${LEVER_TRIALS:-40}" \
    --profile final --fix preset=paper --fix mlp_depth=5 --fix mlp_width_scale=1.0 \
    --study-name gan-levers --storage sqlite:///$DB_DIR/levers.db
}

stage_levers-select() {
  local levers=(--method gan --study-name gan-levers --storage sqlite:///$DB_DIR/levers.db
    --select 3 --select-seeds 3 --select-labels redrawn --select-profile final)
  local log=results/logs/gan-levers-select.log chosen
  # The selection alone first (--retrain 0): if it picks the paper setting, the search's
  # enqueued reference, the official protocol's 5 runs of it are results/official.db's,
  # and 5 more (about 12 h) would pair the paper with itself.
  train gan-levers-select "${levers[@]}" --retrain 0
  chosen=$(awk '/^\+ /{chosen=""} /^selected: /{chosen=$0} END{print chosen}' "$log")
  if [ -z "$chosen" ]; then
    echo "pipeline.sh: levers-select: the selection chose nothing (see $log)" >&2
    exit 1
  fi
  if [[ "$chosen" == *"reference configuration"* ]]; then
    echo "pipeline.sh: levers-select: ${chosen#selected: }; its official runs are" \
      "results/official.db's, so none are trained here" | tee -a "$log" >&2
    return
  fi
  # The ablation needs only the winner, so it runs beside the official runs, on one
  # worker at the lowest priority: 5 runs on 2 workers leave a core idle for the last
  # one (about 3 h here), and the ablation takes that core and little of the others.
  # It runs in a process group of its own (set -m), so that it can be stopped whole; in
  # it, job control is off again, so that its own children stay in that group.
  local winner="${chosen##*#}" ablation
  winner="${winner%% *}"
  set -m
  ( set +m; WORKERS=1; NICE=19; ABLATE_TRIAL="$winner"; stage_levers-ablate ) &
  ablation=$!
  set +m
  # The same selection, stored: reused, not run again.
  train gan-levers-select "${levers[@]}" --retrain 5 --vary-labeled --profile official
  # With the official runs done, one worker would leave the other core idle for the
  # hours its runs still take. So it stops (a run resumes from its last epoch's
  # checkpoint, stored runs are reused) and goes on on every worker, at $NICE.
  kill -TERM -- "-$ablation" 2> /dev/null
  wait "$ablation"
  ABLATE_TRIAL="$winner" stage_levers-ablate
}

stage_levers-ablate() {
  # The winner is the trial levers-select retrained (its retrain runs' source trial);
  # the profile, the cheapest that the calibration shows ranks like `final`.
  if [ -z "${ABLATE_TRIAL:-}" ]; then
    echo "pipeline.sh: levers-ablate needs \$ABLATE_TRIAL, the winner's trial number" >&2
    exit 2
  fi
  train gan-levers-ablate --method gan --study-name gan-levers \
    --storage "sqlite:///$DB_DIR/levers.db" --ablate "$ABLATE_TRIAL" --select-seeds 2 \
    --select-profile "${ABLATE_PROFILE:-select}"
}

stage_fixmatch() {
  local fixmatch=(--method fixmatch --study-name fixmatch-final
    --storage sqlite:///$DB_DIR/fixmatch.db)
  train fixmatch-search "${fixmatch[@]}" --sampler tpe-multivariate --pruner hyperband \
    --calibrate 6 --n-trials 16 --profile final
  local select=(--select 3 --select-seeds 3 --select-labels redrawn --select-profile final)
  # The selection alone first, on every worker; then the two retrain groups side by side
  # on one worker each, since one after the other, each would leave a core idle for its
  # last run (5 runs on 2 workers; about 0.7 h each). Both reuse the stored selection.
  train fixmatch-select "${fixmatch[@]}" "${select[@]}" --retrain 0
  ( WORKERS=1; train fixmatch-retrain "${fixmatch[@]}" "${select[@]}" --retrain 5 \
    --profile final ) &
  ( WORKERS=1; train fixmatch-retrain-redrawn "${fixmatch[@]}" "${select[@]}" --retrain 5 \
    --vary-labeled --profile final ) &
  wait
}

stage_fixmatch-sweep() {
  for labels in "${SWEEP_LABELS[@]}"; do
    # The selection's own arguments: it is reused, and it chose at 100 labels.
    train fixmatch-sweep --method fixmatch --study-name fixmatch-final \
      --storage "sqlite:///$DB_DIR/fixmatch.db" --select 3 --select-seeds 3 \
      --select-labels redrawn --select-profile final --retrain "$SWEEP_RUNS" \
      --vary-labeled --n-labeled "$labels" --profile final
  done
}

db_dir_is_results() { [ "$(realpath "$DB_DIR")" = "$(realpath results)" ]; }

stage_snapshot() {
  db_dir_is_results && return
  for live in "$DB_DIR"/*.db; do
    # Only what a campaign wrote since: an unchanged database keeps its committed bytes.
    # (A writer in WAL mode appends to <db>-wal; the database file changes at checkpoints.)
    [ "$live" -nt "results/${live##*/}" ] || [ "$live-wal" -nt "results/${live##*/}" ] \
      || continue
    python -c 'import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
source.backup(target)
target.close()' "$live" "results/${live##*/}"
  done
  # Their files too (sample grids, the dashboard's artifacts); caches and checkpoints stay.
  for files in "$DB_DIR"/*-files; do
    [ -d "$files" ] || continue
    for kept in artifacts artifact-store; do
      [ -d "$files/$kept" ] || continue
      mkdir -p "results/${files##*/}"
      cp -a "$files/$kept" "results/${files##*/}/"
    done
  done
}

stage_report() {
  local dbs=()
  for db in comparison pipeline official calibration levers fixmatch; do
    [ -f "$DB_DIR/$db.db" ] && dbs+=(--storage "sqlite:///$DB_DIR/$db.db")
  done
  step report python analyze.py "${dbs[@]}" --out results --screenshot \
    --curve-log results/logs/gan-paper-seeds-after.log --data-dir "$MNIST_DIR"
}

stage_official() {
  train official-gan-retrain --method gan --retrain 5 --reference --vary-labeled \
    --profile official --storage sqlite:///$DB_DIR/official.db
}

stage_bench() {
  local bench=(--profile bench --storage sqlite:///$DB_DIR/pipeline.db)
  step pipeline-gan-search python run_study.py --method gan --sampler tpe --pruner median \
    --n-trials 12 --timeout 3600 "${bench[@]}" --threads 1
  step pipeline-supervised-search python run_study.py --method supervised --sampler tpe \
    --pruner median --n-trials 20 --timeout 1200 "${bench[@]}" --threads 1
  step pipeline-contrastive-search python run_study.py --method contrastive --sampler tpe \
    --pruner median --n-trials 6 --timeout 1800 "${bench[@]}" --threads 1
  step pipeline-autoencoder-search python run_study.py --method autoencoder --sampler tpe \
    --pruner median --n-trials 5 --timeout 1800 "${bench[@]}" --threads 1
  for method in "${METHODS[@]}"; do
    # --select 1: these retrains were made before selection existed, from the search's
    # best trial; keeping that is what reproduces them.
    step "pipeline-$method-retrain" python run_study.py --method "$method" --retrain 5 \
      --select 1 "${bench[@]}" --threads 1
  done
}

stage_bench-sweep() {
  for method in "${METHODS[@]}"; do
    for labels in 20 50 100 200; do
      step "sweep-$method" python run_study.py --method "$method" --retrain 5 --select 1 \
        --vary-labeled --n-labeled "$labels" --profile bench \
        --storage sqlite:///$DB_DIR/pipeline.db --threads 1
    done
  done
}

stage_benchmarks() {
  step parallel-scaling python benchmarks/parallel_scaling.py --trials 12 \
    --append results/benchmarks.md
  step epoch-throughput python benchmarks/epoch_throughput.py --repeats 3 \
    --append results/benchmarks.md
  step overhead python benchmarks/overhead.py --repeats 3 --epochs 10 \
    --append results/benchmarks.md
  step gan-paper-seeds python benchmarks/gan_paper_seeds.py --seeds 0 1 2 --epochs 10 \
    --append results/benchmarks.md
  step adam-form python benchmarks/adam_form.py --seeds 0 1 --epochs 30 \
    --append results/benchmarks.md
}

stage_search-benchmarks() {
  step bench-samplers python benchmarks/samplers.py --trials 30 --jobs 1 --threads 1 \
    --append results/benchmarks.md
  step bench-pruning python benchmarks/pruning.py --trials 20 --jobs 1 --threads 1 \
    --append results/benchmarks.md
}

# The whole run is one function, read in full before it starts: bash reads a script as it
# runs it, and a script edited under a long campaign would otherwise go on from a shifted
# offset of the new text.
main() {
  [ $# -gt 0 ] || { sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 2; }
  for study in "${STUDIES[@]}"; do
    if [ -z "${STUDY_METHOD[$study]:-}" ]; then
      echo "pipeline.sh: unknown study '$study' in \$STUDIES (known: ${!STUDY_METHOD[*]})" >&2
      exit 2
    fi
  done
  for method in "${CALIBRATE[@]}"; do
    if [ -z "${CALIBRATION_N[$method]:-}" ]; then
      echo "pipeline.sh: unknown method '$method' in \$CALIBRATE" >&2
      exit 2
    fi
  done
  for labels in "${SWEEP_LABELS[@]}"; do
    if ! [[ "$labels" =~ ^[1-9][0-9]*$ ]]; then
      echo "pipeline.sh: \$SWEEP_LABELS holds '$labels', not a label count" >&2
      exit 2
    fi
  done
  for stage in "$@"; do
    if ! declare -F "stage_$stage" > /dev/null; then
      echo "pipeline.sh: unknown stage '$stage'" >&2
      exit 2
    fi
  done
  mkdir -p "$DB_DIR"
  for committed in results/*.db; do
    [ -f "$committed" ] || continue
    [ -f "$DB_DIR/${committed#results/}" ] || cp -p "$committed" "$DB_DIR/"
  done
  for stage in "$@"; do
    echo "$(date -u) stage $stage" >> results/logs/pipeline.log
    "stage_$stage"
  done
}

main "$@"; exit
