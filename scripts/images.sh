#!/usr/bin/env bash
# `make images`: builds the operator and app images from operator/Dockerfile and apps/Dockerfile with
# the private Docker engine (scripts/infra/docker.sh), then imports them into the local node's
# containerd (scripts/infra/node.sh) when it runs; archives stay in $SP_STATE_DIR/images for later.
#   scripts/images.sh [build|import]
# No registry is reachable here, so the base images are assembled from this machine's own Node.js
# (the binary and the libraries ldd lists) and passed as build arguments; the Dockerfiles' defaults
# stay the public images users pull (node, distroless). The images get the names the chart and the
# SalesPipeline default to (IMAGE_REGISTRY/NAME:IMAGE_TAG), so a local node runs them as they are.
# The chart's cleanup hook image (registry.k8s.io/kubectl) is assembled from the kubectl built here.
# shellcheck source=infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra/lib.sh"
cd "$SP_REPO_DIR"

: "${IMAGE_REGISTRY:=ghcr.io/salespipeline}" "${IMAGE_TAG:=0.1.0}"
APP_IMAGES=(ingest processor dashboard loadgen)
BUILD_BASE="salespipeline.local/node-build:20"
RUNTIME_BASE="salespipeline.local/node-runtime:20"
MARIADB_BASE="salespipeline.local/mariadb-base:10.11"
# spec.mysql.image of a SalesPipeline on the local node (mysql:8.4 cannot be pulled here).
MARIADB_IMAGE="salespipeline.local/mariadb:10.11"
KUBECTL_IMAGE="registry.k8s.io/kubectl:$(scripts/infra/kube.sh bin-dir | sed 's|.*/kube/\(v[^/]*\)/bin|\1|')"
IMAGES_DIR="$SP_STATE_DIR/images"
ROOTFS_IMAGE="scripts/infra/node/rootfs-image.sh"
DOCKER_HOST="$(scripts/infra/docker.sh host)"
export DOCKER_HOST

# Copies FILE... and every shared library they load (ldd) into ROOTFS, at the same paths.
copy_with_libs() { # copy_with_libs ROOTFS FILE...
  local root="$1"; shift
  local f lib
  for f in "$@"; do
    cp -L --parents "$f" "$root/"
    for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+'); do
      [ -e "$root$lib" ] || cp -L --parents "$lib" "$root/"
    done
  done
}

base_rootfs_common() { # base_rootfs_common ROOTFS: users, /tmp, CA certificates
  local root="$1"
  mkdir -p "$root/etc" "$root/tmp" "$root/root" "$root/home/nonroot" "$root/etc/ssl/certs"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  chown 65532:65532 "$root/home/nonroot"
}

# The build stage's base: node + npm + the few shell tools the Dockerfiles' RUN lines use.
build_base_rootfs() {
  local root="$1" node npm_dir
  node="$(readlink -f "$(command -v node)")"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  base_rootfs_common "$root"
  copy_with_libs "$root" /bin/sh /bin/dash /usr/bin/env /bin/rm /bin/mkdir /bin/cp /bin/cat
  ln -sf dash "$root/bin/sh"
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules"
  copy_with_libs "$root" "$node"
  [ "$node" = /usr/local/bin/node ] || mv "$root$node" "$root/usr/local/bin/node"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  # npm's global config ($prefix/etc/npmrc): trust the same CAs as this machine's npm.
  mkdir -p "$root/usr/local/etc"
  echo "cafile=/etc/ssl/certs/ca-certificates.crt" >"$root/usr/local/etc/npmrc"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
}

# The runtime base, shaped like distroless/nodejs20: /nodejs/bin/node, user nonroot (65532), no shell.
runtime_base_rootfs() {
  local root="$1" node
  node="$(readlink -f "$(command -v node)")"
  base_rootfs_common "$root"
  copy_with_libs "$root" "$node"
  mkdir -p "$root/nodejs/bin"
  mv "$root$node" "$root/nodejs/bin/node"
}

# The MySQL image's base: this machine's MariaDB server (Debian's mariadb-server-core files, the ones
# mariadb-install-db needs) with a shell and the tools its scripts call; images/mariadb/Dockerfile
# adds the entrypoint. Debian's own packages, so no registry is needed.
mariadb_rootfs() {
  local root="$1" f
  base_rootfs_common "$root"
  echo 'mysql:x:999:999:MySQL:/var/lib/mysql:/sbin/nologin' >>"$root/etc/passwd"
  echo 'mysql:x:999:' >>"$root/etc/group"
  copy_with_libs "$root" /bin/sh /bin/dash /bin/cat /bin/chmod /bin/chown /usr/bin/dirname /usr/bin/basename \
    /bin/mkdir /bin/rm /bin/sed /bin/hostname /usr/bin/id /usr/bin/my_print_defaults
  ln -sf dash "$root/bin/sh"
  for f in $(dpkg -L mariadb-server-core | grep -vE '^/usr/share/(doc|man|lintian)'); do
    [ -f "$f" ] || continue
    if [ -x "$f" ]; then copy_with_libs "$root" "$f"; else cp --parents "$f" "$root/"; fi
  done
}

kubectl_rootfs() {
  local root="$1"
  mkdir -p "$root/bin"
  cp "$(scripts/infra/kube.sh bin-dir)/kubectl" "$root/bin/kubectl"
  base_rootfs_common "$root"
}

# Builds a rootfs with FUNCTION and loads it as REF unless an image of that content is loaded already.
load_rootfs_image() { # load_rootfs_image REF FUNCTION ENTRYPOINT-JSON USER
  local ref="$1" fn="$2" entrypoint="$3" user="$4" work
  work="$(mktemp -d)"
  "$fn" "$work/rootfs"
  "$ROOTFS_IMAGE" "$ref" "$work/rootfs" "$work/image.tar" "$entrypoint" "$user"
  docker load -q -i "$work/image.tar" >/dev/null || { rm -rf "$work"; sp_die "docker load of $ref failed"; }
  rm -rf "$work"
  sp_log "base image $ref ready"
}

build_image() { # build_image REF DOCKERFILE [BUILD-ARG...]
  local ref="$1" dockerfile="$2"; shift 2
  local args=() a start=$SECONDS log="$IMAGES_DIR/build.log" pid step
  for a in "$@"; do args+=(--build-arg "$a"); done
  sp_log "docker build $ref ($dockerfile)"
  mkdir -p "$IMAGES_DIR"
  # Legacy builder (no BuildKit here); the host network, since the engine has no bridge.
  DOCKER_BUILDKIT=0 docker build --network=host -f "$dockerfile" -t "$ref" \
    --build-arg "BUILD_IMAGE=$BUILD_BASE" --build-arg "RUNTIME_IMAGE=$RUNTIME_BASE" "${args[@]}" . >"$log" 2>&1 &
  pid=$!
  # Progress: the builder's current step (npm ci in a cold build stage takes minutes).
  while kill -0 "$pid" 2>/dev/null; do
    step="$(grep -o '^Step [0-9]*/[0-9]* : .\{0,50\}' "$log" | tail -n 1 || true)"
    printf '\r[%s]   %s ... %ss ' "$(date +%H:%M:%S)" "${step:-starting}" "$((SECONDS - start))" >&2
    sleep 2
  done
  printf '\n' >&2
  wait "$pid" || { tail -n 40 "$log" >&2; sp_die "docker build of $ref failed"; }
  sp_log "built $ref in $((SECONDS - start))s"
}

all_refs() {
  local a
  echo "$IMAGE_REGISTRY/operator:$IMAGE_TAG"
  for a in "${APP_IMAGES[@]}"; do echo "$IMAGE_REGISTRY/$a:$IMAGE_TAG"; done
  echo "$MARIADB_IMAGE"
  echo "$KUBECTL_IMAGE"
}

build_all() {
  # One build at a time per clone: a second would stop the engine under the first.
  mkdir -p "$IMAGES_DIR"
  exec 6>"$IMAGES_DIR/.lock"
  flock 6
  scripts/infra/docker.sh install
  local was_running=0
  sp_running dockerd && was_running=1
  scripts/infra/docker.sh start 6>&-  # the engine must not hold our lock
  [ "$was_running" = 1 ] || trap 'scripts/infra/docker.sh stop' EXIT
  load_rootfs_image "$BUILD_BASE" build_base_rootfs '["/bin/sh"]' ""
  load_rootfs_image "$RUNTIME_BASE" runtime_base_rootfs '["/nodejs/bin/node"]' 65532:65532
  build_image "$IMAGE_REGISTRY/operator:$IMAGE_TAG" operator/Dockerfile
  local a; for a in "${APP_IMAGES[@]}"; do
    build_image "$IMAGE_REGISTRY/$a:$IMAGE_TAG" apps/Dockerfile "APP=$a"
  done
  scripts/infra/mariadb.sh install  # the MariaDB image is assembled from its Debian files
  load_rootfs_image "$MARIADB_BASE" mariadb_rootfs '["/bin/sh"]' ""
  build_image "$MARIADB_IMAGE" images/mariadb/Dockerfile "BASE_IMAGE=$MARIADB_BASE"
  load_rootfs_image "$KUBECTL_IMAGE" kubectl_rootfs '["/bin/kubectl"]' 65532:65532
  sp_log "saving the images to $IMAGES_DIR/salespipeline-images.tar"
  # shellcheck disable=SC2046
  docker save -o "$IMAGES_DIR/salespipeline-images.tar.tmp" $(all_refs) || sp_die "docker save failed"
  mv -f "$IMAGES_DIR/salespipeline-images.tar.tmp" "$IMAGES_DIR/salespipeline-images.tar"
}

import_all() {
  local archive="$IMAGES_DIR/salespipeline-images.tar"
  [ -s "$archive" ] || sp_die "$archive missing: run scripts/images.sh build first"
  if ! sp_running kubelet; then sp_log "the local node is not running: images not imported (scripts/infra/node.sh start)"; return 0; fi
  sp_log "importing the images into the node's containerd"
  scripts/infra/node.sh import "$archive"
  sp_log "images on the node: $(all_refs | tr '\n' ' ')"
}

case "${1:-all}" in
  build) build_all ;;
  import) import_all ;;
  all) build_all; import_all ;;
  refs) all_refs ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
