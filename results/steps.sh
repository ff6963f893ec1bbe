# Sourced by the results/run_*.sh scripts: one logged, timed command per step.
export MNIST_DIR="${MNIST_DIR:-../shared/data/mnist}"

step() {  # step LOG COMMAND...: runs COMMAND, appending its line, output and wall time to LOG
  local log="$1"; shift
  { date -u; echo "+ $*"
    /usr/bin/time -f "wall %e s, max RSS %M KB" "$@"; date -u
  } >> "results/logs/$log.log" 2>&1
}
