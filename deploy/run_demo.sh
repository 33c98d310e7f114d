#!/bin/sh
# The last step of `make run`: `lincah serve`, with the fishery business permit's outside world running beside it —
# the fake population registry and payment gateway (`lincah fakes`) and the reference NIK worker
# (examples/nik_worker.py) — so its files do not wait at the NIK check for ever on a fresh install.
# The fakes and the worker stop with the server. When the fakes cannot start (a port taken), the server still runs
# as before for every other service and the warning says what the fishery permit lacks.
#
# Settings (environment): BIN (.venv/bin), HOST, PORT (the server's), LINCAH_DEMO_REGISTRY_PORT (8791),
# LINCAH_DEMO_GATEWAY_PORT (8792), LINCAH_DEMO_FAKES=0 to serve without them.
set -u
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
REGISTRY_PORT=${LINCAH_DEMO_REGISTRY_PORT:-8791}
GATEWAY_PORT=${LINCAH_DEMO_GATEWAY_PORT:-8792}
TOKEN=lincah-demo-gateway

case "$HOST" in 0.0.0.0 | :: | "") LOCAL=127.0.0.1 ;; *) LOCAL=$HOST ;; esac
LINCAH="http://$LOCAL:$PORT"

PIDS=""
stop() {
  for pid in $PIDS; do kill "$pid" 2>/dev/null; done
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

start_outside_world() {
  instance=$("$BIN/python" -c 'from engine.config import Settings; print(Settings.from_env().instance_path)') || return 1
  worker=$("$BIN/python" -c 'from engine.demo_fakes.clients import WORKER; print(WORKER)') || return 1
  secret="$instance/$worker.secret"
  logs="$instance/demo-logs"
  mkdir -p "$logs"
  rm -f "$secret"  # written afresh by `lincah fakes` once it has rotated the demo clients' secrets
  "$BIN/lincah" fakes --registry-port "$REGISTRY_PORT" --gateway-port "$GATEWAY_PORT" --lincah-url "$LINCAH" \
    --gateway-token "$TOKEN" >"$logs/fakes.log" 2>&1 &
  fakes=$!
  PIDS="$fakes"
  waited=0
  # the secret file comes before the servers listen: wait for the banner the fakes print once both listen
  until grep -q "Ctrl-C stops the fakes" "$logs/fakes.log" 2>/dev/null; do
    if ! kill -0 "$fakes" 2>/dev/null || [ "$waited" -ge 60 ]; then
      echo "warning: the fake registry and bank did not start (see $logs/fakes.log); the fishery business" \
        "permit's files will wait at the NIK check. Other services are not affected." >&2
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  "$BIN/python" examples/nik_worker.py --lincah "$LINCAH/engine-rest" --client "$worker" --secret-file "$secret" \
    --registry "http://127.0.0.1:$REGISTRY_PORT" >"$logs/nik_worker.log" 2>&1 &
  PIDS="$PIDS $!"
  # the connector may call the fake bank, and only it; an installation's own settings win
  export LINCAH_CONNECTOR_ALLOWED_HOSTS="${LINCAH_CONNECTOR_ALLOWED_HOSTS:-127.0.0.1:$GATEWAY_PORT}"
  export LINCAH_CONNECTOR_ALLOWED_NETWORKS="${LINCAH_CONNECTOR_ALLOWED_NETWORKS:-127.0.0.1/32}"
  export LINCAH_SECRET_PAYMENT_GATEWAY_URL="${LINCAH_SECRET_PAYMENT_GATEWAY_URL:-http://127.0.0.1:$GATEWAY_PORT}"
  export LINCAH_SECRET_PAYMENT_GATEWAY_TOKEN="${LINCAH_SECRET_PAYMENT_GATEWAY_TOKEN:-$TOKEN}"
  echo "fishery business permit: fake registry on 127.0.0.1:$REGISTRY_PORT, fake bank (pay bills at" \
    "http://127.0.0.1:$GATEWAY_PORT/) and the NIK worker run beside the server; logs in $logs"
}

if [ "${LINCAH_DEMO_FAKES:-1}" != 0 ]; then
  start_outside_world || true
fi
# In the background and waited for, so that Ctrl-C or a TERM to this script stops the server and everything beside it.
"$BIN/lincah" serve --host "$HOST" --port "$PORT" &
SERVER=$!
PIDS="$PIDS $SERVER"
wait "$SERVER"
