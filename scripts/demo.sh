#!/usr/bin/env bash
# `make demo`: start the emulator with its demo seed (a fresh account), grant it with dlcauth, grant it
# again (now compliant), and always stop the emulator — on success, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --locked --bin acs-emulator --bin dlcauth
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target_dir/debug"

workdir=$(mktemp -d)
emulator_pid=""
cleanup() {
  if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$bin/acs-emulator" --listen 127.0.0.1:0 >"$workdir/emulator.out" 2>"$workdir/emulator.log" &
emulator_pid=$!

endpoint=""
for _ in $(seq 1 100); do
  endpoint=$(grep -o 'http://[0-9.:]*' "$workdir/emulator.out" 2>/dev/null | head -n 1 || true)
  [[ -n "$endpoint" ]] && break
  kill -0 "$emulator_pid" 2>/dev/null || { echo "the emulator exited early:" >&2; cat "$workdir/emulator.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$endpoint" ]] || { echo "the emulator did not report its address within 10 s" >&2; exit 1; }

# The demo seed's operator key (documented in crates/acs-emulator/README.md); it may only assume the
# privileged role dlcauth-granter, which holds exactly policies/operator-policy.json.
export ALIBABA_CLOUD_ACCESS_KEY_ID="${DEMO_ACCESS_KEY_ID:-LTAI5tDemoOperator000001}"
export ALIBABA_CLOUD_ACCESS_KEY_SECRET="${DEMO_ACCESS_KEY_SECRET:-DemoOperatorSecret0000000000001}"
export DLCAUTH_ENDPOINT="$endpoint"
export DLCAUTH_ROLE_ARN='acs:ram::{accountId}:role/dlcauth-granter'
account=1234567890123456

echo "== acs-emulator is serving a fresh demo account at $endpoint"
echo
# Runs `dlcauth grant` and fails the demo unless the report's status is the expected one.
grant_expecting() {
  local expected=$1 output status=0
  output=$("$bin/dlcauth" grant --account-id "$account" --output text) || status=$?
  printf '%s\n' "$output"
  if [[ $status -ne 0 ]]; then
    echo "demo: dlcauth grant exited with $status" >&2
    exit "$status"
  fi
  if ! head -n 1 <<<"$output" | grep -q -- "— $expected"; then
    echo "demo: expected status '$expected'" >&2
    exit 1
  fi
}

echo "== dlcauth grant --account-id $account   (first run: creates and attaches)"
grant_expecting granted
echo
echo "== dlcauth grant --account-id $account   (second run: nothing left to do)"
grant_expecting compliant
echo
echo "== dlcauth check --account-id $account --output json   (read-only verification)"
"$bin/dlcauth" check --account-id "$account" --output json
