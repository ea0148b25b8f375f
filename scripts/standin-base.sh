#!/usr/bin/env bash
# A stand-in for the pinned python:3.11-slim-bookworm base, made from Debian's own packages
# with mmdebstrap and imported into buildah's storage as $1 (where no registry is reachable).
# Needs root, mmdebstrap and buildah (apt-get install mmdebstrap buildah). It trusts this
# machine's certificate authorities (and points pip at them), so that a proxy that re-signs
# TLS here does not stop pip inside the build.
set -euo pipefail
name=${1:-localhost/python-standin:3.11-bookworm}
if buildah inspect --type image "$name" >/dev/null 2>&1; then
  echo "$name exists"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mmdebstrap --variant=minbase --quiet \
  --include=python3,python3-venv,python-is-python3,ca-certificates \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  --customize-hook='cp /etc/ssl/certs/ca-certificates.crt "$1"/etc/ssl/certs/ca-certificates.crt' \
  bookworm "$work/rootfs.tar"
container=$(buildah from scratch)
buildah add --quiet "$container" "$work/rootfs.tar" /
buildah config --env LANG=C.UTF-8 --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
  --cmd python3 "$container"
buildah commit --quiet --rm "$container" "$name" >/dev/null
echo "$name: $(buildah inspect --type image --format '{{.FromImageDigest}}' "$name")"
