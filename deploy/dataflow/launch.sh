#!/usr/bin/env bash
# Build newswire's Dataflow images and Flex Template, and launch batch or streaming jobs.
#
#   deploy/dataflow/launch.sh build                 # wheel, both images, the template spec
#   deploy/dataflow/launch.sh batch                 # one pass over the feeds, then it ends
#   deploy/dataflow/launch.sh streaming             # polls until drained or cancelled
#   deploy/dataflow/launch.sh update                # replace the running streaming job in place
#   deploy/dataflow/launch.sh drain | cancel        # stop the streaming job
#
# Settings come from the environment (see deploy/dataflow/README.md):
#   PROJECT, REGION, BUCKET (required); FEEDS (comma-separated feed list URLs), ES_URL and
#   ES_API_KEY_SECRET (projects/P/secrets/S/versions/V) for batch/streaming/update;
#   REPOSITORY (Artifact Registry, default newswire), TAG (default: the wheel's version),
#   MACHINE_TYPE (default e2-standard-2), NUM_WORKERS (workers at start, default Dataflow's),
#   MAX_WORKERS (default 10), SERVICE_ACCOUNT, NETWORK, SUBNETWORK, DISABLE_PUBLIC_IPS=true
#   (workers without external IPs: the subnetwork needs Cloud NAT to reach the feeds),
#   JOB_NAME (streaming, default newswire-streaming), PARAMETERS (more name=value pairs for
#   the template, separated by ';').
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/deploy/dataflow"
PYTHON="${PYTHON:-python3}"

need() {
  local name
  for name in "$@"; do
    if [[ -z "${!name:-}" ]]; then
      echo "launch.sh: set $name (see deploy/dataflow/README.md)" >&2
      exit 2
    fi
  done
}

version() {
  (cd "$ROOT" && "$PYTHON" -c \
    'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
}

images() {
  need PROJECT REGION
  local registry="$REGION-docker.pkg.dev/$PROJECT/${REPOSITORY:-newswire}"
  local tag="${TAG:-$(version)}"
  LAUNCHER_IMAGE="$registry/launcher:$tag"
  WORKER_IMAGE="$registry/worker:$tag"
  TEMPLATE="gs://${BUCKET:-}/templates/newswire-$tag.json"
}

build() {
  need PROJECT REGION BUCKET
  images
  rm -rf "$ROOT/dist"
  "$PYTHON" -m pip wheel --no-deps --quiet -w "$ROOT/dist" "$ROOT"
  local wheels=("$ROOT"/dist/newswire-*.whl)
  local wheel="dist/${wheels[0]##*/}"
  echo "built $wheel"
  gcloud artifacts repositories describe "${REPOSITORY:-newswire}" --project "$PROJECT" \
    --location "$REGION" >/dev/null 2>&1 ||
    gcloud artifacts repositories create "${REPOSITORY:-newswire}" --project "$PROJECT" \
      --location "$REGION" --repository-format docker
  local dockerfile image
  for dockerfile in Dockerfile.launcher Dockerfile.worker; do
    if [[ "$dockerfile" == Dockerfile.launcher ]]; then image="$LAUNCHER_IMAGE"; else image="$WORKER_IMAGE"; fi
    gcloud builds submit "$ROOT" --project "$PROJECT" --region "$REGION" \
      --config "$HERE/cloudbuild.yaml" \
      --substitutions "_DOCKERFILE=deploy/dataflow/$dockerfile,_WHEEL=$wheel,_IMAGE=$image"
  done
  gcloud dataflow flex-template build "$TEMPLATE" --project "$PROJECT" \
    --image "$LAUNCHER_IMAGE" --sdk-language PYTHON --metadata-file "$HERE/metadata.json"
  echo "template $TEMPLATE (launcher $LAUNCHER_IMAGE, workers $WORKER_IMAGE)"
}

run() {
  local mode="$1"
  need PROJECT REGION BUCKET FEEDS ES_URL
  images
  # ';' separates the parameters (gcloud's ^;^ form) since feed lists are comma-separated
  local params="^;^sdk_container_image=$WORKER_IMAGE;feeds=$FEEDS;es_url=$ES_URL"
  if [[ -n "${ES_API_KEY_SECRET:-}" ]]; then params+=";es_api_key_secret=$ES_API_KEY_SECRET"; fi
  if [[ -n "${PARAMETERS:-}" ]]; then params+=";$PARAMETERS"; fi
  local args=(--project "$PROJECT" --region "$REGION" --template-file-gcs-location "$TEMPLATE"
    --staging-location "gs://$BUCKET/staging" --temp-location "gs://$BUCKET/temp"
    --worker-machine-type "${MACHINE_TYPE:-e2-standard-2}" --max-workers "${MAX_WORKERS:-10}")
  if [[ -n "${SERVICE_ACCOUNT:-}" ]]; then args+=(--service-account-email "$SERVICE_ACCOUNT"); fi
  if [[ -n "${NETWORK:-}" ]]; then args+=(--network "$NETWORK"); fi
  if [[ -n "${SUBNETWORK:-}" ]]; then args+=(--subnetwork "$SUBNETWORK"); fi
  if [[ -n "${NUM_WORKERS:-}" ]]; then args+=(--num-workers "$NUM_WORKERS"); fi
  if [[ "${DISABLE_PUBLIC_IPS:-}" == true ]]; then args+=(--disable-public-ips); fi
  local name
  case "$mode" in
    batch)
      name="newswire-batch-$(date -u +%Y%m%d-%H%M%S)" ;;
    streaming | update)
      name="${JOB_NAME:-newswire-streaming}"
      params+=";streaming=true"
      args+=(--enable-streaming-engine)
      if [[ "$mode" == update ]]; then args+=(--update); fi ;;
  esac
  gcloud dataflow flex-template run "$name" "${args[@]}" --parameters "$params"
}

stop() {
  local how="$1"
  need PROJECT REGION
  local name="${JOB_NAME:-newswire-streaming}" id
  id="$(gcloud dataflow jobs list --project "$PROJECT" --region "$REGION" --status active \
    --filter "name=$name" --format 'value(id)' | head -n 1)"
  if [[ -z "$id" ]]; then
    echo "launch.sh: no active job named $name in $REGION" >&2
    exit 1
  fi
  gcloud dataflow jobs "$how" "$id" --project "$PROJECT" --region "$REGION"
}

case "${1:-}" in
  build) build ;;
  batch | streaming | update) run "$1" ;;
  drain | cancel) stop "$1" ;;
  *)
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2 ;;
esac
