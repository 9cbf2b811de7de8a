#!/usr/bin/env bash
# smoke.sh [--repository REPO] --tag TAG: runs the four images as the pods run them, on this machine,
# and checks what an operator relies on:
#   - each container read-only (a tmpfs on /tmp only), as user 10001, with no capabilities and
#     no-new-privileges, on the host's network (ports below) and the host's Redis on 127.0.0.1:6379
#     (keys under a prefix of its own, deleted at the end);
#   - every service becomes ready (/q/health/ready) and a 64x64 generation through the gateway
#     returns a PNG (the trimmed ONNX Runtime and tokenizer natives load and run);
#   - SIGTERM to the decoder while it runs a call: the call finishes ("every running call finished"),
#     the job still returns its image, the decoder exits 143 within its grace period (120 s);
#   - SIGTERM to the gateway and the other stages: each exits 143 (or 0) within its grace period,
#     after Quarkus' "stopped in" line.
# Needs podman, curl, python3 and a Redis on 127.0.0.1:6379. Ports: 18080 (gateway),
# 18101-18103 (stage HTTP), 19101-19103 (stage gRPC); UNCLIP_SMOKE_PORT_OFFSET shifts them all.
# Leaves no container behind. Run by `./unclip images --smoke`.
set -euo pipefail

repository=unclip tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repository) repository="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    *) echo "usage: smoke.sh [--repository REPO] --tag TAG" >&2; exit 2 ;;
  esac
done
[ -n "$tag" ] || { echo "usage: smoke.sh [--repository REPO] --tag TAG" >&2; exit 2; }

STAGES=(text-encoder-svc prior-svc decoder-svc)
offset="${UNCLIP_SMOKE_PORT_OFFSET:-0}"
gateway_port=$((18080 + offset))
http_port_of() { case "$1" in text-encoder-svc) echo $((18101 + offset));; prior-svc) echo $((18102 + offset));; decoder-svc) echo $((18103 + offset));; gateway) echo "$gateway_port";; esac; }
grpc_port_of() { case "$1" in text-encoder-svc) echo $((19101 + offset));; prior-svc) echo $((19102 + offset));; decoder-svc) echo $((19103 + offset));; esac; }
grace_of() { case "$1" in text-encoder-svc|gateway) echo 30;; prior-svc) echo 60;; decoder-svc) echo 120;; esac; }  # deploy/k8s

run_id="unclip-smoke-$$"
prefix="$run_id:"
work="$(mktemp -d)"
failures=0
log() { printf 'smoke: %s\n' "$*"; }
fail() { printf 'smoke: FAIL %s\n' "$*" >&2; failures=$((failures + 1)); }
die() { printf 'smoke: %s\n' "$*" >&2; exit 1; }
container_of() { echo "$run_id-$1"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cleanup() {
  local svc
  for svc in gateway "${STAGES[@]}"; do
    podman rm -f -t 0 "$(container_of "$svc")" >/dev/null 2>&1 || true
  done
  if command -v redis-cli >/dev/null; then
    redis-cli --scan --pattern "$prefix*" 2>/dev/null | while read -r key; do redis-cli del "$key" >/dev/null; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

command -v podman >/dev/null || die "podman is missing"
command -v curl >/dev/null || die "curl is missing"
listening 6379 || die "no Redis on 127.0.0.1:6379"
for svc in gateway "${STAGES[@]}"; do
  podman image exists "$repository/$svc:$tag" || die "no image $repository/$svc:$tag (build it: ./unclip images)"
  listening "$(http_port_of "$svc")" && die "port $(http_port_of "$svc") is taken (set UNCLIP_SMOKE_PORT_OFFSET)"
done

# run SERVICE ENV...: one container as a pod runs it (deploy/k8s: runAsUser 10001, readOnlyRootFilesystem,
# drop ALL, allowPrivilegeEscalation false, an emptyDir on /tmp).
run() {
  local svc="$1"; shift
  local env=() kv
  for kv in "$@"; do env+=(-e "$kv"); done
  # Explicit rlimits: podman's defaults (nofile and nproc of about a million) cannot be set inside
  # some containers and VMs.
  podman run -d --name "$(container_of "$svc")" --network host \
    --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,size=512m,mode=1777 \
    --user 10001:10001 --cap-drop ALL --security-opt no-new-privileges \
    --ulimit nofile=16384:16384 --ulimit nproc=8192:8192 \
    -e QUARKUS_HTTP_HOST=127.0.0.1 -e "QUARKUS_HTTP_PORT=$(http_port_of "$svc")" "${env[@]}" \
    "$repository/$svc:$tag" >/dev/null
}

log "images $repository/*:$tag; Redis keys under '$prefix'"
for svc in "${STAGES[@]}"; do
  run "$svc" QUARKUS_GRPC_SERVER_HOST=127.0.0.1 "QUARKUS_GRPC_SERVER_PORT=$(grpc_port_of "$svc")"
done
run gateway "UNCLIP_REDIS_KEY_PREFIX=$prefix" \
  "QUARKUS_GRPC_CLIENTS_TEXT_ENCODER_PORT=$(grpc_port_of text-encoder-svc)" \
  "QUARKUS_GRPC_CLIENTS_PRIOR_PORT=$(grpc_port_of prior-svc)" \
  "QUARKUS_GRPC_CLIENTS_DECODER_PORT=$(grpc_port_of decoder-svc)"

# The containers' settings, as podman reports them.
for svc in gateway "${STAGES[@]}"; do
  podman inspect --format '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}' "$(container_of "$svc")" >"$work/inspect"
  read -r user ro caps <"$work/inspect"
  [ "$user" = 10001:10001 ] && [ "$ro" = true ] || fail "$svc: user $user, read-only $ro"
done

log "waiting for readiness ..."
start=$SECONDS
for svc in "${STAGES[@]}" gateway; do
  until curl -fsS -o /dev/null "http://127.0.0.1:$(http_port_of "$svc")/q/health/ready" 2>/dev/null; do
    if [ "$(podman inspect --format '{{.State.Running}}' "$(container_of "$svc")")" != true ]; then
      podman logs --tail 40 "$(container_of "$svc")" >&2; die "$svc exited before it was ready"
    fi
    [ $((SECONDS - start)) -lt 180 ] || { podman logs --tail 40 "$(container_of "$svc")" >&2; die "$svc not ready after 180 s"; }
    sleep 0.5
  done
  log "$svc ready ($((SECONDS - start)) s)"
done
user_in_container="$(podman exec "$(container_of decoder-svc)" id -u)"
[ "$user_in_container" = 10001 ] || fail "decoder-svc runs as uid $user_in_container"
if podman exec "$(container_of decoder-svc)" sh -c 'touch /app/x' 2>/dev/null; then fail "decoder-svc could write to /app"; fi

# generate FILE SIZE: one generation through the gateway; the response body in FILE, its status printed.
generate() {
  curl -sS -o "$1" -w '%{http_code}' --max-time 300 "http://127.0.0.1:$gateway_port/v1/images/generations" \
    -H 'Content-Type: application/json' \
    -d "{\"prompt\":\"a large red circle in the center on a blue background\",\"seed\":7,\"size\":\"$2\",\"response_format\":\"b64_json\"}"
}
# is_png FILE: the response holds one base64 PNG.
is_png() {
  python3 -c 'import sys, json, base64; d = json.load(open(sys.argv[1]))["data"]; sys.exit(0 if len(d) == 1 and base64.b64decode(d[0]["b64_json"])[:8] == b"\x89PNG\r\n\x1a\n" else 1)' "$1"
}

log "generating 64x64 ..."
status="$(generate "$work/first.json" 64x64 || true)"
if [ "$status" = 200 ] && is_png "$work/first.json"; then log "a PNG came back"; else fail "generation answered $status: $(head -c 300 "$work/first.json")"; fi

# stop SERVICE: SIGTERM, then wait for the exit; checks the exit code, the grace and the log.
stop() {
  local svc="$1" container took code
  container="$(container_of "$svc")"
  local t0=$SECONDS
  podman kill --signal TERM "$container" >/dev/null
  code="$(timeout "$(( $(grace_of "$svc") + 10 ))" podman wait "$container" || echo timeout)"
  took=$((SECONDS - t0))
  podman logs "$container" >"$work/$svc.log" 2>&1 || true
  case "$code" in
    143|0) ;;
    *) fail "$svc: exit code $code after SIGTERM"; tail -n 20 "$work/$svc.log" >&2 ;;
  esac
  [ "$took" -le "$(grace_of "$svc")" ] || fail "$svc took $took s to stop (grace $(grace_of "$svc") s)"
  grep -q 'stopped in' "$work/$svc.log" || fail "$svc: no 'stopped in' line in its log"
  log "$svc stopped on SIGTERM: exit $code in $took s (grace $(grace_of "$svc") s)"
}

log "SIGTERM to the decoder while it runs a call ..."
generate "$work/second.json" 256x256 >"$work/second.status" 2>&1 &
request=$!
metrics="http://127.0.0.1:$(http_port_of decoder-svc)/q/metrics"
busy=0
for _ in $(seq 1 600); do
  if curl -fsS "$metrics" 2>/dev/null | grep -E '^unclip_stage_calls_in_flight\{' | grep -qvE ' 0(\.0)?$'; then busy=1; break; fi
  sleep 0.1
done
[ "$busy" = 1 ] || fail "the decoder never had a call in flight"
stop decoder-svc
grep -q 'every running call finished' "$work/decoder-svc.log" || fail "decoder-svc: no 'every running call finished' line in its log"
wait "$request" || true
status="$(cat "$work/second.status")"
if [ "$status" = 200 ] && is_png "$work/second.json"; then log "the job the decoder drained returned its PNG"; else fail "the drained job answered $status: $(head -c 300 "$work/second.json")"; fi

for svc in gateway text-encoder-svc prior-svc; do stop "$svc"; done
grep -q 'shutting down: no calls running' "$work/prior-svc.log" || fail "prior-svc: no 'no calls running' line in its log"

if [ "$failures" -gt 0 ]; then die "$failures check(s) failed"; fi
log "passed"
