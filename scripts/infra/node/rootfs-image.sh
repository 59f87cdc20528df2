#!/usr/bin/env bash
# Writes a one-layer image archive (the `docker save` format, which `ctr images import` and
# `docker load` read) from a root filesystem folder, without any container engine.
#   rootfs-image.sh REF ROOTFS OUT.tar ENTRYPOINT-JSON [USER]
# e.g. rootfs-image.sh salespipeline.local/pause:1 ./rootfs pause.tar '["/pause"]' 65535:65535
set -euo pipefail
ref="$1" rootfs="$2" out="$3" entrypoint="$4" user="${5:-}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
# Fixed owner and mtime: the same rootfs gives the same image id.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$work/layer.tar" .
diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Entrypoint":$entrypoint,"User":"$user","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]}}
JSON
config_id="$(sha256sum "$work/config.json" | cut -d' ' -f1)"
mkdir "$work/archive" "$work/archive/${diff_id#sha256:}"
mv "$work/layer.tar" "$work/archive/${diff_id#sha256:}/layer.tar"
mv "$work/config.json" "$work/archive/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' \
  "$config_id" "$ref" "${diff_id#sha256:}" >"$work/archive/manifest.json"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/archive" -cf "$out.tmp" .
mv -f "$out.tmp" "$out"
