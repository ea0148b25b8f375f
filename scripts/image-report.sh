#!/usr/bin/env bash
# Size and contents of a built image ($1): the figures the README quotes.
set -euo pipefail
image=${1:?image name}
container=$(buildah from --quiet "$image")
trap 'buildah rm "$container" >/dev/null' EXIT
root=$(buildah mount "$container")
echo "image: $image"
buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$image"
echo "labels:"
buildah inspect --type image --format '{{range $k, $v := .OCIv1.Config.Labels}}  {{$k}}={{$v}}{{"\n"}}{{end}}' "$image"
echo "largest folders:"
du -sh "$root"/opt/venv "$root"/opt/gen "$root"/usr/lib/python3* "$root"/usr/local/lib/python3* 2>/dev/null \
  | sed "s|$root||"
site=$(ls -d "$root"/opt/venv/lib/python3*/site-packages)
echo "largest packages in /opt/venv:"
du -s "$site"/* | sort -rn | head -12 | awk '{printf "  %6.1f MB %s\n", $1/1024, $2}' | sed "s|$site/||"
echo "packages: $(ls -d "$site"/*.dist-info | wc -l)"
for tool in pytest mypy ruff grpc_tools hypothesis schemathesis pip setuptools; do
  if [ -e "$site/$tool" ]; then echo "  unexpected in the runtime: $tool"; fi
done
buildah umount "$container" >/dev/null
