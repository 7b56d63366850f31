# Sourced by stage scripts: starts build/apps/codex-emulator on an ephemeral port, as
# scripts/demo does, and stops it on exit.
#   source bench/support/emulator.sh
#   start_emulator STATE_DIR [EMULATOR FLAGS...]   # sets EMULATOR_PID, EMULATOR_CREDENTIALS
#   stop_emulator                                   # also called by the EXIT trap the caller sets
EMULATOR_PID=
EMULATOR_CREDENTIALS=

start_emulator() {
  local dir=$1
  shift
  mkdir -p "$dir"
  "$BENCH_BUILD/apps/codex-emulator" --port 0 --state-dir "$dir" "$@" >"$dir/emulator.out" 2>"$dir/emulator.err" &
  EMULATOR_PID=$!
  for _ in $(seq 100); do
    grep -q "listening on" "$dir/emulator.out" 2>/dev/null && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q "listening on" "$dir/emulator.out" 2>/dev/null; then
    echo "bench: codex-emulator did not start" >&2
    cat "$dir/emulator.err" >&2
    return 1
  fi
  EMULATOR_CREDENTIALS=$dir/credentials.json
}

stop_emulator() {
  if [[ -n $EMULATOR_PID ]]; then
    kill "$EMULATOR_PID" 2>/dev/null && wait "$EMULATOR_PID" 2>/dev/null
    EMULATOR_PID=
  fi
  return 0
}
