#!/bin/sh
# trim-natives.sh DIR...: cuts the jars under each DIR (a fast-jar's lib/main) that bundle native
# libraries for every platform down to the natives of the platform this runs on (the image's):
#   ONNX Runtime (com.microsoft.onnxruntime.onnxruntime*.jar)  ai/onnxruntime/native/<platform>/
#   DJL tokenizers (ai.djl.huggingface.tokenizers-*.jar)       native/lib/<platform>/
# Run in deploy/Dockerfile's build stage, on the target platform (uname -m); needs a JDK's `jar`
# tool, or a JRE whose runtime image holds the jdk.jartool module (Debian's openjdk-17-jre-headless).
#
# ONNX_VARIANT (environment; deploy/Dockerfile's build argument): cpu (default) or gpu. Each DIR
# must hold that variant's ONNX Runtime jar, onnxruntime-*.jar or onnxruntime_gpu-*.jar (the
# services packaged with `mvn -Pgpu`), so that an image never carries the other build by mistake.
set -eu

variant="${ONNX_VARIANT:-cpu}"
case "$variant" in
  cpu) onnx_artifact=onnxruntime package="mvn -B install -DskipTests" ;;
  gpu) onnx_artifact=onnxruntime_gpu package="mvn -B -Pgpu install -DskipTests" ;;
  *) echo "trim-natives: ONNX_VARIANT must be cpu or gpu, got '$variant'" >&2; exit 1 ;;
esac

case "$(uname -m)" in
  x86_64|amd64) onnx=linux-x64 djl=linux-x86_64 ;;
  aarch64|arm64) onnx=linux-aarch64 djl=linux-aarch64 ;;
  *) echo "trim-natives: no ONNX Runtime natives for linux/$(uname -m)" >&2; exit 1 ;;
esac
if [ "$variant" = gpu ] && [ "$onnx" != linux-x64 ]; then
  echo "trim-natives: onnxruntime_gpu ships natives for linux/amd64 only, not linux/$(uname -m)" >&2; exit 1
fi

if command -v jar >/dev/null 2>&1; then
  jar() { command jar "$@"; }
elif java --describe-module jdk.jartool >/dev/null 2>&1; then
  jar() { java -m jdk.jartool/sun.tools.jar.Main "$@"; }
else
  echo "trim-natives: needs the jar tool (a JDK, or a JRE with the jdk.jartool module)" >&2; exit 1
fi

# trim JAR NATIVE-ROOT KEEP: removes NATIVE-ROOT/<platform>/ for every platform but KEEP.
trim() {
  work="$(mktemp -d)"
  (cd "$work" && jar --extract --file "$1")
  [ -d "$work/$2/$3" ] || { echo "trim-natives: $1 has no $2/$3" >&2; exit 1; }
  for platform in "$work/$2"/*/; do
    [ "$(basename "$platform")" = "$3" ] || rm -rf "$platform"
  done
  before="$(wc -c <"$1")"
  rm "$1"
  if [ -f "$work/META-INF/MANIFEST.MF" ]; then
    mv "$work/META-INF/MANIFEST.MF" "$work.MF"
    jar --create --file "$1" --manifest "$work.MF" -C "$work" .
    rm "$work.MF"
  else
    jar --create --file "$1" --no-manifest -C "$work" .
  fi
  rm -rf "$work"
  echo "trim-natives: $(basename "$1"): $2/$3 only, $before -> $(wc -c <"$1") bytes"
}

for dir in "$@"; do
  found=0
  variant_jars="$(find "$dir" -maxdepth 1 -name "com.microsoft.onnxruntime.$onnx_artifact-*.jar" | wc -l)"
  if [ "$variant_jars" -eq 0 ]; then
    echo "trim-natives: ONNX_VARIANT=$variant but $dir holds no com.microsoft.onnxruntime.$onnx_artifact jar" \
      "(package the services with \`$package\`)" >&2
    exit 1
  fi
  for jar in "$dir"/com.microsoft.onnxruntime.onnxruntime*.jar; do
    [ -f "$jar" ] && { trim "$jar" ai/onnxruntime/native "$onnx"; found=1; }
  done
  for jar in "$dir"/ai.djl.huggingface.tokenizers-*.jar; do
    [ -f "$jar" ] && { trim "$jar" native/lib "$djl"; found=1; }
  done
  [ "$found" = 1 ] || { echo "trim-natives: no ONNX Runtime or tokenizers jar in $dir" >&2; exit 1; }
done
