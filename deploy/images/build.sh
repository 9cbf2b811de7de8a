#!/usr/bin/env bash
# build.sh [options]: builds the four images of deploy/Dockerfile with podman (no daemon), tagged
# with the project version and the git commit. Run by `./unclip images`, which packages the services
# first; see deploy/README.md ("Images").
#
#   --base IMAGE        the JRE 17 base (JRE_IMAGE). Default: localhost/unclip/jre17-base:bookworm,
#                       made here with mmdebstrap (deploy/images/base.sh) when podman lacks it
#   --build-image IMAGE the build stage that trims the natives (JDK_IMAGE). Default: the base
#   --family NAME       the folder under models/ baked into the stage images (default shapes-tiny)
#   --repository REPO   image names REPO/<service> (default unclip)
#   --tag TAG           instead of <version>-<commit>[-dirty]
#   --only SERVICES     comma-separated subset of text-encoder-svc,prior-svc,decoder-svc,gateway
#   --oci-dir DIR       also write each image as an OCI archive DIR/<service>.tar
#   --smoke             then run deploy/images/smoke.sh on the images built
#   --gpu               the GPU stage images REPO/<stage>-gpu:TAG (ONNX_VARIANT=gpu; linux/amd64) from
#                       services packaged with `mvn -B -Pgpu install -DskipTests`; needs --base, a CUDA 12
#                       + cuDNN 9 runtime image with a JRE 17 (deploy/images/gpu-base.Dockerfile). Not
#                       for the gateway, which loads no model
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES=(text-encoder-svc prior-svc decoder-svc gateway)
DEFAULT_BASE=localhost/unclip/jre17-base:bookworm

die() { printf 'images: %s\n' "$*" >&2; exit 1; }
log() { printf 'images: %s\n' "$*"; }

base="" build_image="" family="" repository=unclip tag="" only="" oci_dir="" smoke=0 gpu=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="${2:?--base needs an image}"; shift 2 ;;
    --build-image) build_image="${2:?--build-image needs an image}"; shift 2 ;;
    --family) family="${2:?--family needs a folder under models/}"; shift 2 ;;
    --repository) repository="${2:?--repository needs a name}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a tag}"; shift 2 ;;
    --only) only="${2:?--only needs services}"; shift 2 ;;
    --oci-dir) oci_dir="${2:?--oci-dir needs a folder}"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --gpu) gpu=1; shift ;;
    *) die "unknown option '$1' (see deploy/images/build.sh or deploy/README.md)" ;;
  esac
done

# a relative --oci-dir is the caller's
[ -z "$oci_dir" ] || case "$oci_dir" in /*) ;; *) oci_dir="$PWD/$oci_dir" ;; esac
cd "$ROOT"

command -v podman >/dev/null || die "podman is missing (Debian: apt-get install podman buildah)"

# <version without -SNAPSHOT>-<commit>, -dirty when the working tree differs from the commit.
image_tag() {
  local version commit
  version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -n 1)"
  [ -n "$version" ] || die "no <version> in pom.xml"
  git rev-parse --git-dir >/dev/null 2>&1 || die "not a git checkout: pass --tag"
  commit="$(git rev-parse --short=9 HEAD)"
  version="${version%-SNAPSHOT}-$commit"
  [ -z "$(git status --porcelain)" ] || version="$version-dirty"
  echo "$version"
}
[ -n "$tag" ] || tag="$(image_tag)"
case "$tag" in *SNAPSHOT*) die "tag '$tag': an image tag never names a SNAPSHOT" ;; esac

targets=("${SERVICES[@]}")
if [ -n "$only" ]; then
  targets=()
  for svc in ${only//,/ }; do
    [[ " ${SERVICES[*]} " == *" $svc "* ]] || die "--only: unknown service '$svc' (services: ${SERVICES[*]})"
    targets+=("$svc")
  done
fi
if [ "$gpu" = 1 ]; then
  [ -n "$only" ] || targets=(text-encoder-svc prior-svc decoder-svc)
  [[ " ${targets[*]} " != *" gateway "* ]] || die "--gpu: the gateway loads no model and has no GPU image"
  [ -n "$base" ] || die "--gpu needs --base IMAGE: a CUDA 12 + cuDNN 9 runtime image with a JRE 17 (deploy/images/gpu-base.Dockerfile)"
  [ "$smoke" = 0 ] || die "--gpu: --smoke runs the CPU images; run a GPU image on a GPU node instead (deploy/README.md, \"GPU\")"
fi
for svc in "${targets[@]}" text-encoder-svc prior-svc decoder-svc; do
  [ -f "$svc/target/quarkus-app/quarkus-run.jar" ] || die "$svc is not packaged: run mvn -B install -DskipTests (./unclip images does)"
  if [ "$gpu" = 1 ]; then
    compgen -G "$svc/target/quarkus-app/lib/main/com.microsoft.onnxruntime.onnxruntime_gpu-*.jar" >/dev/null \
      || die "--gpu: $svc is packaged with the CPU-only ONNX Runtime: run mvn -B -Pgpu install -DskipTests"
  fi
done
if [ -n "$family" ]; then
  [ -f "models/$family/family.json" ] || die "--family: no models/$family/family.json"
fi

if [ -z "$base" ]; then
  base="$DEFAULT_BASE"
  podman image exists "$base" || deploy/images/base.sh "$base"
fi
[ -n "$build_image" ] || build_image="$base"

# REPO/<service>:TAG, or REPO/<service>-gpu:TAG with --gpu
image_name() {
  if [ "$gpu" = 1 ]; then echo "$repository/$1-gpu:$tag"; else echo "$repository/$1:$tag"; fi
}

revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
logs="${UNCLIP_STATE:-$ROOT/.unclip}/logs"
mkdir -p "$logs"
built=()
for svc in "${targets[@]}"; do
  name="$(image_name "$svc")"
  log "building $name (base $base) ..."
  args=(--isolation chroot --layers -f deploy/Dockerfile --ignorefile deploy/Dockerfile.dockerignore
    --target "$svc" --build-arg "JRE_IMAGE=$base" --build-arg "JDK_IMAGE=$build_image"
    --label "org.opencontainers.image.title=$svc" --label "org.opencontainers.image.version=$tag"
    --label "org.opencontainers.image.revision=$revision" --tag "$name")
  [ -z "$family" ] || args+=(--build-arg "FAMILY=$family")
  [ "$gpu" = 0 ] || args+=(--build-arg ONNX_VARIANT=gpu --platform linux/amd64)
  nice -n 10 podman build "${args[@]}" . >"$logs/image-$svc.log" 2>&1 \
    || { tail -n 40 "$logs/image-$svc.log" >&2; die "building $svc failed (log: $logs/image-$svc.log)"; }
  grep '^trim-natives:' "$logs/image-$svc.log" | sed 's/^/  /' || true
  built+=("$name")
done

if [ -n "$oci_dir" ]; then
  mkdir -p "$oci_dir"
  for svc in "${targets[@]}"; do
    rm -f "$oci_dir/$svc.tar"
    nice -n 10 podman save -q --format oci-archive -o "$oci_dir/$svc.tar" "$(image_name "$svc")"
    log "wrote $oci_dir/$svc.tar"
  done
fi

log "built (tag $tag):"
for name in "${built[@]}"; do
  printf '  %-50s %s\n' "$name" "$(podman image inspect --format '{{.Size}}' "$name" | awk '{printf "%.0f MB", $1 / 1e6}')"
done

if [ "$smoke" = 1 ]; then
  exec deploy/images/smoke.sh --repository "$repository" --tag "$tag"
fi
