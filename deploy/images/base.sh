#!/usr/bin/env bash
# base.sh IMAGE: makes the images' base locally, without pulling anything from a container registry:
# Debian bookworm (minbase) + openjdk-17-jre-headless, made with mmdebstrap from a Debian mirror and
# imported into podman as IMAGE. Its runtime image holds jdk.jartool, so it also serves as the
# Dockerfile's JDK_IMAGE (the build stage that trims the native libraries).
#
# Environment: UNCLIP_DEBIAN_MIRROR (default http://deb.debian.org/debian; the security updates come
# from UNCLIP_DEBIAN_SECURITY_MIRROR, default http://deb.debian.org/debian-security).
set -euo pipefail

image="${1:?usage: base.sh IMAGE}"
mirror="${UNCLIP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${UNCLIP_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
command -v mmdebstrap >/dev/null || { echo "images: mmdebstrap is missing (Debian: apt-get install mmdebstrap), or pass --base IMAGE" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "images: making the base $image with mmdebstrap (bookworm + openjdk-17-jre-headless from $mirror; a few minutes) ..."
# No docs, man pages or locales (the man1 folder stays: update-alternatives links java.1 there);
# no apt lists, caches or logs.
nice -n 10 mmdebstrap --variant=minbase --include=openjdk-17-jre-headless \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
  bookworm "$work/rootfs.tar" \
  "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main" \
  >"$work/mmdebstrap.log" 2>&1 || { tail -n 30 "$work/mmdebstrap.log" >&2; echo "images: mmdebstrap failed" >&2; exit 1; }
nice -n 10 podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  --message "Debian bookworm minbase + openjdk-17-jre-headless (mmdebstrap)" \
  "$work/rootfs.tar" "$image" >/dev/null
echo "images: base $image made"
