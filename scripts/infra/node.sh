#!/usr/bin/env bash
# A real Kubernetes node on the local control plane (kube.sh): containerd + runc + CNI bridge,
# kubelet, kube-proxy (iptables) and CoreDNS, all inside a network namespace this script creates.
#   node.sh install|start|stop|restart|status
#   node.sh exec CMD...        run CMD inside the node's network namespace (e.g. curl a pod IP)
#   node.sh ctr ARGS...        containerd's ctr on the node (namespace k8s.io), e.g. `node.sh ctr images ls`
#   node.sh import ARCHIVE...  import `docker save` archives into the node's image store
#   node.sh env                the node's name, IP, taint and namespace as shell variables
# The namespace has a veth pair: the node end ($SP_NODE_IP) inside, the host end ($SP_NODE_HOST_IP)
# outside, a /30 and no other route, so nothing a pod sends can leave the machine. The project's
# services listen on the host's loopback; a few are bridged into the namespace through Unix sockets
# (socat), on the same port at the node address: the apiserver (kubelet, kube-proxy, CoreDNS and pods
# through Service 10.0.0.1), Kafka's NODE listener, Cassandra and MariaDB (external data services of
# a SalesPipeline on this node).
# The node is tainted $NODE_TAINT: only pods that tolerate it (the end-to-end tests, `make up`) run
# for real; everything else stays on the kwok node.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODE_SUPPORT="$SP_REPO_DIR/scripts/infra/node"
KUBE_SH="$SP_REPO_DIR/scripts/infra/kube.sh"
COREDNS_VERSION="${SP_COREDNS_VERSION:-v1.12.1}"
# One node per clone: the names derive from the state dir, so clones on one machine do not collide.
NODE_ID="$(printf '%s' "$SP_STATE_DIR" | sha256sum | cut -c1-6)"
: "${SP_NODE_NAME:=salespipeline-node}"
: "${SP_NODE_NETNS:=sp-node-$NODE_ID}"
: "${SP_NODE_POD_CIDR:=10.246.0.0/24}"
: "${SP_KUBE_SERVICE_CIDR:=10.0.0.0/16}"
NODE_TAINT="salespipeline.io/node=real:NoSchedule"
NODE_LABEL="salespipeline.io/node=real"
NODE_HOST_LINK="spn-$NODE_ID"
NODE_LINK="node0"
NODE_NETNS_PATH="/run/netns/$SP_NODE_NETNS"
NODE_CGROUP_ROOT="/salespipeline-node-$NODE_ID"
NODE_CNI_NETWORK="sp-node-$NODE_ID"
PAUSE_IMAGE="salespipeline.local/pause:1"
# PersistentVolumes for claims on the node (e.g. the MySQL StatefulSet): pre-created local volumes of
# this StorageClass; a released one is wiped and offered again at the next start.
NODE_STORAGE_CLASS="salespipeline-node-local"
: "${SP_NODE_VOLUMES:=4}" "${SP_NODE_VOLUME_SIZE:=10Gi}"

NODE_STATE="$SP_STATE_DIR/node"
NODE_CONF="$NODE_STATE/conf"
CONTAINERD_ROOT="$NODE_STATE/containerd-root"  # the image store: kept across stop/start
CONTAINERD_STATE="$NODE_STATE/containerd-state"
CONTAINERD_SOCK="$NODE_STATE/containerd.sock"
# Host loopback ports bridged into the namespace (same port, every address of the node).
NODE_BRIDGED_PORTS=("$SP_KUBE_APISERVER_PORT" "$SP_KAFKA_NODE_PORT" "$SP_CASSANDRA_PORT" "$SP_MYSQL_PORT")
KUBELET_ROOT="$NODE_STATE/kubelet"
POD_LOGS="$NODE_STATE/pod-logs"
CNI_STATE="$NODE_STATE/cni"
NODE_VOLUMES="$NODE_STATE/volumes"
NODE_CACHE="$SP_CACHE_DIR/node"
KUBE_BIN="$("$KUBE_SH" bin-dir)"
KUBECONFIG_ADMIN="$("$KUBE_SH" kubeconfig)"
# Runtime state that stop removes (the image store stays).
NODE_RUNTIME_DIRS=("$CONTAINERD_STATE" "$KUBELET_ROOT" "$POD_LOGS" "$CNI_STATE" "$NODE_CONF")

in_netns() { nsenter --net="$NODE_NETNS_PATH" "$@"; }
node_ctr() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
kubectl_admin() { KUBECONFIG="$KUBECONFIG_ADMIN" "$KUBE_BIN/kubectl" --request-timeout=10s "$@"; }

# ---------------------------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------------------------

# The pause image: a static C program in a one-layer image, cached per source version.
pause_archive() { echo "$NODE_CACHE/pause-$(sha256sum "$NODE_SUPPORT/pause.c" | cut -c1-12).tar"; }

node_build_pause() {
  local out; out="$(pause_archive)"
  [ -s "$out" ] && return 0
  sp_apt_install gcc gcc libc6-dev
  sp_log "building the pause image ($PAUSE_IMAGE)"
  local work; work="$(mktemp -d)"
  mkdir -p "$work/rootfs" "$NODE_CACHE"
  gcc -Os -s -static -o "$work/rootfs/pause" "$NODE_SUPPORT/pause.c" || { rm -rf "$work"; sp_die "compiling pause.c failed"; }
  "$NODE_SUPPORT/rootfs-image.sh" "$PAUSE_IMAGE" "$work/rootfs" "$out" '["/pause"]' 65535:65535
  rm -rf "$work"
}

svc_install() {
  [ "$(id -u)" = 0 ] || sp_die "the node needs root (network namespaces, mounts, cgroups)"
  sp_apt_install containerd containerd
  sp_apt_install runc runc
  [ -x /usr/lib/cni/bridge ] || sp_apt_install /usr/lib/cni/bridge containernetworking-plugins
  sp_apt_install iptables iptables
  sp_apt_install conntrack conntrack
  sp_apt_install socat socat
  sp_apt_install nsenter util-linux
  "$KUBE_SH" install
  "$KUBE_SH" go-install coredns "github.com/coredns/coredns@$COREDNS_VERSION"
  node_build_pause
}

# ---------------------------------------------------------------------------------------------
# configuration files
# ---------------------------------------------------------------------------------------------

node_write_config() {
  mkdir -p "$NODE_CONF" "$CNI_STATE/net.d" "$CNI_STATE/ipam" "$CONTAINERD_ROOT" "$CONTAINERD_STATE" "$KUBELET_ROOT" "$POD_LOGS"
  cat >"$NODE_CONF/containerd.toml" <<EOF
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # runc cannot lower oom_score_adj without CAP_SYS_RESOURCE, which this machine lacks.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CNI_STATE/net.d"
EOF
  cat >"$CNI_STATE/net.d/10-salespipeline.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$NODE_CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$CNI_STATE/ipam",
                "ranges": [[{ "subnet": "$SP_NODE_POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat >"$NODE_CONF/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine mounts cgroup v1; kubelet refuses it unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $NODE_CGROUP_ROOT
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: $SP_NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
# Reachable only inside the namespace and from this host: the apiserver (logs, exec, port-forward)
# connects without a client certificate.
authentication:
  anonymous: { enabled: true }
  webhook: { enabled: false }
authorization: { mode: AlwaysAllow }
clusterDNS: [$SP_NODE_IP]
clusterDomain: cluster.local
resolvConf: ""
podLogsDir: $POD_LOGS
failSwapOn: false
serializeImagePulls: false
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
registerWithTaints:
- { key: ${NODE_TAINT%%=*}, value: real, effect: NoSchedule }
EOF
  cat >"$NODE_CONF/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $SP_NODE_NAME
clusterCIDR: $SP_NODE_POD_CIDR
clientConnection: { kubeconfig: $KUBECONFIG_ADMIN }
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [$SP_NODE_IP/32]
# conntrack limits are not per network namespace: leave the host's alone.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
iptables: { localhostNodePorts: false }
EOF
  cat >"$NODE_CONF/Corefile" <<EOF
.:53 {
    bind $SP_NODE_IP
    errors
    ready $SP_NODE_IP:8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG_ADMIN
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
}
EOF
  # The apiserver's own Service (10.0.0.1): the control plane runs without an endpoint reconciler,
  # so the node publishes the address where pods reach it (the bridge below).
  cat >"$NODE_CONF/apiserver-endpoints.yaml" <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels: { kubernetes.io/service-name: kubernetes }
addressType: IPv4
endpoints:
- addresses: [$SP_NODE_IP]
  conditions: { ready: true }
ports:
- { name: https, port: $SP_KUBE_APISERVER_PORT, protocol: TCP }
EOF
}

node_volume_name() { echo "sp-node-$NODE_ID-pv-$1"; }

node_write_volumes() {
  local i
  {
    cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: $NODE_STORAGE_CLASS }
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
    for i in $(seq 1 "$SP_NODE_VOLUMES"); do
      mkdir -p "$NODE_VOLUMES/$i"
      cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $(node_volume_name "$i")
  labels: { salespipeline.io/node-volume: "$NODE_ID" }
spec:
  capacity: { storage: $SP_NODE_VOLUME_SIZE }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $NODE_STORAGE_CLASS
  local: { path: $NODE_VOLUMES/$i }
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - { key: kubernetes.io/hostname, operator: In, values: [$SP_NODE_NAME] }
EOF
    done
  } >"$NODE_CONF/volumes.yaml"
}

# A volume whose claim is gone (Released) is wiped and made Available again.
node_recycle_volumes() {
  local name i
  for i in $(seq 1 "$SP_NODE_VOLUMES"); do
    name="$(node_volume_name "$i")"
    [ "$(kubectl_admin get pv "$name" -o jsonpath='{.status.phase}' 2>/dev/null)" = Released ] || continue
    find "$NODE_VOLUMES/$i" -mindepth 1 -delete
    kubectl_admin patch pv "$name" --type=json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null
    sp_log "volume $name wiped and available again"
  done
}

# ---------------------------------------------------------------------------------------------
# the network namespace and cgroups
# ---------------------------------------------------------------------------------------------

node_netns_up() {
  ip netns add "$SP_NODE_NETNS"
  ip link add "$NODE_HOST_LINK" type veth peer name "$NODE_LINK" netns "$SP_NODE_NETNS"
  ip addr add "$SP_NODE_HOST_IP/30" dev "$NODE_HOST_LINK"
  ip link set "$NODE_HOST_LINK" up
  in_netns ip link set lo up
  in_netns ip addr add "$SP_NODE_IP/30" dev "$NODE_LINK"
  in_netns ip link set "$NODE_LINK" up
  # Pods reach each other and their Services through the bridge: iptables must see bridged traffic.
  in_netns sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
}

node_cgroups_up() {
  local h; for h in /sys/fs/cgroup/*/; do
    [ "$(basename "$h")" = unified ] && continue
    mkdir -p "$h${NODE_CGROUP_ROOT#/}"
  done
  # A new cpuset cgroup starts with no CPUs or memory nodes: give it the parent's.
  local cs="/sys/fs/cgroup/cpuset${NODE_CGROUP_ROOT}"
  if [ -d "$cs" ]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"$cs/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"$cs/cpuset.mems"
  fi
}

# Every process in the node's cgroups (the containers), then containerd's shims for this socket.
node_kill_containers() {
  local pass pids
  for pass in 1 2 3 4 5 6 7 8 9 10; do
    pids="$(find /sys/fs/cgroup/pids"$NODE_CGROUP_ROOT" /sys/fs/cgroup/memory"$NODE_CGROUP_ROOT" \
      -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | tr '\n' ' ' || true)"
    [ -z "${pids// /}" ] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  done
  local p; for p in $(node_shim_pids); do kill -KILL "$p" 2>/dev/null || true; done
}

node_shim_pids() { # the containerd shims started for this node's socket
  local d; for d in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -q -- "-address $CONTAINERD_SOCK " && basename "$d"
  done
  true
}

node_unmount_all() { # every mount under the node's state dir, deepest first
  local m
  for m in $(findmnt -rn -o TARGET | grep -F "$NODE_STATE/" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

node_cgroups_down() {
  local h; for h in /sys/fs/cgroup/*/; do
    [ -d "$h${NODE_CGROUP_ROOT#/}" ] && find "$h${NODE_CGROUP_ROOT#/}" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  true
}

# Leaves nothing of a node behind, whether it stopped cleanly or was killed (kill -9 included).
node_teardown() {
  local name
  for name in coredns kube-proxy kubelet; do sp_stop "$name" 20; done
  node_kill_containers
  sp_stop node-containerd 20
  node_kill_containers
  # In parallel: each stop waits for init to reap the process, which here takes about 2 s.
  local port stops=(); for port in "${NODE_BRIDGED_PORTS[@]}"; do
    sp_stop "node-bridge-$port" 5 & stops+=($!)
    sp_stop "node-bridge-$port-host" 5 & stops+=($!)
  done
  wait "${stops[@]}"
  node_unmount_all
  if ip netns list | grep -qw "$SP_NODE_NETNS"; then ip netns delete "$SP_NODE_NETNS"; fi
  ip link show "$NODE_HOST_LINK" >/dev/null 2>&1 && ip link delete "$NODE_HOST_LINK"
  node_cgroups_down
  find /var/log/containers -maxdepth 1 -lname "$POD_LOGS/*" -delete 2>/dev/null || true
  # libcni caches each attachment in /var/lib/cni/results: ours are our network's and the loopback
  # of each of our sandboxes.
  rm -f /var/lib/cni/results/"$NODE_CNI_NETWORK"-* 2>/dev/null || true
  local sandbox; for sandbox in "$CONTAINERD_STATE"/io.containerd.grpc.v1.cri/sandboxes/*/; do
    [ -d "$sandbox" ] && rm -f /var/lib/cni/results/cni-loopback-"$(basename "$sandbox")"-*
  done
  rm -rf "${NODE_RUNTIME_DIRS[@]}" "$NODE_STATE"/bridge-*.sock "$CONTAINERD_SOCK" "$CONTAINERD_SOCK.ttrpc"
}

# ---------------------------------------------------------------------------------------------
# start / stop / status
# ---------------------------------------------------------------------------------------------

check_containerd() { node_ctr version; }
check_apiserver_up() { kubectl_admin get --raw /readyz >/dev/null 2>&1; }
check_kubelet() { in_netns curl -fsS -m 3 http://127.0.0.1:10248/healthz; }
check_node_ready() {
  [ "$(kubectl_admin get node "$SP_NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
check_kube_proxy() { in_netns curl -fsS -m 3 http://127.0.0.1:10256/healthz; }
check_coredns() { in_netns curl -fsS -m 3 "http://$SP_NODE_IP:8181/ready"; }
check_apiserver_bridge() { in_netns curl -fsS -m 5 -k "https://127.0.0.1:$SP_KUBE_APISERVER_PORT/healthz"; }
node_healthy() {
  local n; for n in node-containerd kubelet kube-proxy coredns; do sp_running "$n" || return 1; done
  for n in "${NODE_BRIDGED_PORTS[@]}"; do sp_running "node-bridge-$n" && sp_running "node-bridge-$n-host" || return 1; done
  check_containerd && check_kubelet && check_node_ready && check_kube_proxy && check_coredns
} >/dev/null 2>&1

node_lock() {
  mkdir -p "$NODE_STATE"
  exec 7>"$NODE_STATE/.lock"
  flock -w 300 7 || sp_die "another node.sh start/stop holds $NODE_STATE/.lock"
}

node_import() { # node_import ARCHIVE...: only images the store does not hold yet
  local a; for a in "$@"; do
    node_ctr images import "$a" >/dev/null || sp_die "importing $a into the node failed"
  done
}

svc_start() {
  [ -x "$KUBE_BIN/kubelet" ] && [ -x "$KUBE_BIN/kube-proxy" ] && [ -x "$KUBE_BIN/coredns" ] \
    || sp_die "node binaries missing in $KUBE_BIN: run $0 install"
  check_apiserver_up || sp_die "the control plane is not running: start scripts/infra/kube.sh first"
  node_lock
  if node_healthy; then
    node_recycle_volumes
    sp_log "node $SP_NODE_NAME already running and Ready ($SP_NODE_IP)"; return 0
  fi
  sp_log "cleaning up what a previous node run left (if anything)"
  node_teardown 2>&1 | grep -v ' not running$' >&2 || true
  node_write_config
  node_cgroups_up
  node_netns_up
  sp_log "network namespace $SP_NODE_NETNS: node $SP_NODE_IP, host end $SP_NODE_HOST_IP, no route out"

  # Host loopback ports into the namespace: a socat on each side of a Unix socket.
  local port; for port in "${NODE_BRIDGED_PORTS[@]}"; do
    sp_spawn "node-bridge-$port-host" socat "UNIX-LISTEN:$NODE_STATE/bridge-$port.sock,fork,mode=600" "TCP:127.0.0.1:$port" 7>&-
    sp_spawn "node-bridge-$port" nsenter --net="$NODE_NETNS_PATH" \
      socat "TCP-LISTEN:$port,fork,reuseaddr" "UNIX-CONNECT:$NODE_STATE/bridge-$port.sock" 7>&-
  done
  sp_wait_ready "node-bridge-$SP_KUBE_APISERVER_PORT" 30 check_apiserver_bridge

  # nsenter --net only: containerd must share kubelet's mount namespace to see its volume mounts.
  sp_spawn node-containerd nsenter --net="$NODE_NETNS_PATH" containerd --config "$NODE_CONF/containerd.toml" 7>&-
  sp_wait_ready node-containerd 60 check_containerd
  node_ctr images ls -q | grep -qx "$PAUSE_IMAGE" || node_import "$(pause_archive)"

  sp_spawn kubelet nsenter --net="$NODE_NETNS_PATH" "$KUBE_BIN/kubelet" \
    --config="$NODE_CONF/kubelet.yaml" --kubeconfig="$KUBECONFIG_ADMIN" \
    --root-dir="$KUBELET_ROOT" --cert-dir="$KUBELET_ROOT/pki" \
    --hostname-override="$SP_NODE_NAME" --node-ip="$SP_NODE_IP" --node-labels="$NODE_LABEL" --v=1 7>&-
  sp_wait_ready kubelet 120 check_kubelet
  sp_wait_ready kubelet 120 check_node_ready

  sp_spawn kube-proxy nsenter --net="$NODE_NETNS_PATH" "$KUBE_BIN/kube-proxy" \
    --config="$NODE_CONF/kube-proxy.yaml" --v=1 7>&-
  sp_wait_ready kube-proxy 60 check_kube_proxy
  kubectl_admin apply --server-side --field-manager=salespipeline-node-sh --force-conflicts \
    -f "$NODE_CONF/apiserver-endpoints.yaml" >/dev/null || sp_fail_with_log kube-proxy "publishing the apiserver endpoint failed"

  sp_spawn coredns nsenter --net="$NODE_NETNS_PATH" "$KUBE_BIN/coredns" -conf "$NODE_CONF/Corefile" 7>&-
  sp_wait_ready coredns 60 check_coredns
  node_write_volumes
  kubectl_admin apply --server-side --field-manager=salespipeline-node-sh --force-conflicts -f "$NODE_CONF/volumes.yaml" \
    >/dev/null || sp_fail_with_log kubelet "creating the node's PersistentVolumes failed"
  node_recycle_volumes
  sp_log "node $SP_NODE_NAME Ready at $SP_NODE_IP (taint $NODE_TAINT; pods need a toleration)"
}

svc_stop() {
  node_lock
  node_teardown
  if [ -f "$KUBECONFIG_ADMIN" ] && check_apiserver_up; then
    kubectl_admin delete node "$SP_NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    kubectl_admin delete pv -l "salespipeline.io/node-volume=$NODE_ID" --wait=false >/dev/null 2>&1 || true
  fi
  rm -rf "$NODE_VOLUMES"
  sp_log "node stopped (images kept in $CONTAINERD_ROOT)"
}

svc_status() {
  sp_status_line kubelet "node $SP_NODE_NAME $SP_NODE_IP (netns $SP_NODE_NETNS)"
  sp_status_line node-containerd "unix://$CONTAINERD_SOCK"
  sp_status_line kube-proxy "iptables in netns $SP_NODE_NETNS"
  sp_status_line coredns "$SP_NODE_IP:53"
}

case "${1:-}" in
  exec) shift; exec nsenter --net="$NODE_NETNS_PATH" "$@" ;;
  ctr) shift; node_ctr "$@"; exit ;;
  import) shift; node_import "$@"; exit ;;
  env)
    printf 'SP_NODE_NAME=%s\nSP_NODE_IP=%s\nSP_NODE_HOST_IP=%s\nSP_NODE_NETNS=%s\nSP_NODE_TAINT=%s\nSP_NODE_LABEL=%s\n' \
      "$SP_NODE_NAME" "$SP_NODE_IP" "$SP_NODE_HOST_IP" "$SP_NODE_NETNS" "$NODE_TAINT" "$NODE_LABEL"
    printf 'SP_NODE_STORAGE_CLASS=%s\nSP_NODE_KAFKA=%s\nSP_NODE_CASSANDRA=%s\nSP_NODE_MYSQL=%s\n' "$NODE_STORAGE_CLASS" \
      "$SP_NODE_IP:$SP_KAFKA_NODE_PORT" "$SP_NODE_IP:$SP_CASSANDRA_PORT" "$SP_NODE_IP:$SP_MYSQL_PORT"
    printf 'SP_NODE_STATE=%s\nSP_NODE_CGROUP_ROOT=%s\nSP_NODE_CONTAINERD_SOCK=%s\n' "$NODE_STATE" "$NODE_CGROUP_ROOT" "$CONTAINERD_SOCK"
    exit ;;
esac
# "; exit": bash reads scripts lazily, so an edit of this file cannot affect a running instance.
sp_main "$@"; exit
