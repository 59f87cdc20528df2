#!/usr/bin/env bash
# `make up`: the product as a user runs it, on the local real node. Starts the local services and the
# node (scripts/infra/node.sh), builds and imports the images, installs the operator with Helm,
# applies a SalesPipeline (Kafka and Cassandra external: the local services, bridged into the node;
# MySQL managed: a MariaDB StatefulSet) and a load generator, and forwards the dashboard and the
# ingest API to 127.0.0.1. `cluster-up.sh stop` (make down) undoes it all.
# Knobs: SP_UP_DASHBOARD_PORT (18082), SP_UP_INGEST_PORT (18080), SP_LOADGEN_RATE (20 orders/s).
source "$(dirname "$0")/infra/lib.sh"
cd "$SP_REPO_DIR"

: "${SP_UP_DASHBOARD_PORT:=18082}" "${SP_UP_INGEST_PORT:=18080}" "${SP_LOADGEN_RATE:=20}"
RELEASE=salespipeline
OPERATOR_NS=salespipeline-system
NS=salespipeline-dev
SP=dev
TOPIC=orders
STATE="$SP_STATE_DIR/cluster"
KUBE_BIN="$(scripts/infra/kube.sh bin-dir)"
export KUBECONFIG="$SP_STATE_DIR/kube/kubeconfig"
kubectl() { "$KUBE_BIN/kubectl" "$@"; }
helm() { "$KUBE_BIN/helm" "$@"; }
FORWARDS=(dashboard ingest)

stop_forwards() { local f; for f in "${FORWARDS[@]}"; do sp_stop "port-forward-$f" 5; done; }

if [ "${1:-}" = stop ]; then
  stop_forwards
  if sp_running kube-apiserver; then
    # The pre-delete hook deletes the SalesPipeline and waits for the operator's teardown.
    helm uninstall "$RELEASE" --namespace "$OPERATOR_NS" --wait --timeout 10m 2>/dev/null || true
    kubectl delete namespace "$NS" "$OPERATOR_NS" --ignore-not-found --wait=false >/dev/null
  fi
  scripts/infra/node.sh stop
  scripts/infra/all.sh down
  exit 0
fi

sp_log "starting the local services"
scripts/infra/all.sh up
scripts/infra/node.sh start
eval "$(scripts/infra/node.sh env)"
scripts/images.sh
# The orders topic and its .dlq and .late, as the topic plan (apps/shared) sizes them.
(eval "$(scripts/infra/all.sh env)" && ORDERS_TOPIC="$TOPIC" TOPIC_PARTITIONS=3 node apps/processor/dist/main.js topics >/dev/null)

mkdir -p "$STATE"
# The load generator's API key, generated once: ingest reads it from a Secret of ours.
[ -s "$STATE/loadgen-key" ] || (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$STATE/loadgen-key")
KEY="$(cat "$STATE/loadgen-key")"
taint_key="${SP_NODE_TAINT%%=*}" taint_value="${SP_NODE_TAINT#*=}"; taint_value="${taint_value%%:*}"
label_key="${SP_NODE_LABEL%%=*}" label_value="${SP_NODE_LABEL#*=}"
# Every pod of ours runs on the real node: its label selected, its taint tolerated.
node_selector="{\"$label_key\":\"$label_value\"}"
tolerations="[{\"key\":\"$taint_key\",\"operator\":\"Equal\",\"value\":\"$taint_value\",\"effect\":\"NoSchedule\"}]"

kubectl apply --server-side --field-manager=salespipeline-make-up -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels: { pod-security.kubernetes.io/enforce: restricted }
---
apiVersion: v1
kind: Secret
metadata: { name: $SP-api-keys, namespace: $NS }
stringData: { api-keys: "loadgen:$KEY" }
---
apiVersion: v1
kind: Secret
metadata: { name: loadgen, namespace: $NS }
stringData: { api-key: "$KEY" }
EOF

sp_log "installing the operator with Helm (release $RELEASE in $OPERATOR_NS)"
helm upgrade --install "$RELEASE" charts/salespipeline-operator --namespace "$OPERATOR_NS" --create-namespace \
  --set "watchNamespace=$NS" \
  --set-json "nodeSelector=$node_selector" --set-json "tolerations=$tolerations" \
  --wait --timeout 10m >/dev/null

sp_log "applying SalesPipeline $NS/$SP"
kubectl apply --server-side --field-manager=salespipeline-make-up -f - >/dev/null <<EOF
apiVersion: salespipeline.io/v1alpha1
kind: SalesPipeline
metadata: { name: $SP, namespace: $NS }
spec:
  deletionPolicy: Delete
  kafka:
    external: { bootstrapServers: ["$SP_NODE_KAFKA"] }
    topics: { name: $TOPIC, partitions: 3 }
  cassandra:
    external: { contactPoints: ["$SP_NODE_CASSANDRA"], localDatacenter: datacenter1, replicationFactor: 1 }
  mysql:
    image: salespipeline.local/mariadb:10.11
    storage: { size: 1Gi, storageClassName: $SP_NODE_STORAGE_CLASS }
  ingest:
    replicas: 1
    apiKeysSecret: $SP-api-keys
    resources: { requests: { cpu: 50m, memory: 96Mi }, limits: { memory: 256Mi } }
  processor:
    minReplicas: 1
    maxReplicas: 3
    resources: { requests: { cpu: 50m, memory: 128Mi }, limits: { memory: 512Mi } }
  placement: { nodeSelector: $node_selector, tolerations: $tolerations }
EOF
start=$SECONDS
until [ "$(kubectl get sp "$SP" -n "$NS" -o jsonpath='{.status.phase}')" = Ready ]; do
  (( SECONDS - start < 900 )) || { kubectl get sp,pods -n "$NS" >&2; sp_die "SalesPipeline $SP not Ready after 15 min"; }
  printf '\r[%s] waiting for SalesPipeline %s to be Ready (%s) ... %ss' "$(date +%H:%M:%S)" "$SP" \
    "$(kubectl get sp "$SP" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')" "$((SECONDS - start))" >&2
  sleep 2
done
printf '\n' >&2
sp_log "SalesPipeline $SP Ready after $((SECONDS - start))s"

# The load generator: a Deployment of the loadgen image, restricted like the apps.
kubectl apply --server-side --field-manager=salespipeline-make-up -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: { name: loadgen, namespace: $NS }
spec:
  replicas: 1
  selector: { matchLabels: { app: loadgen } }
  template:
    metadata: { labels: { app: loadgen } }
    spec:
      nodeSelector: $node_selector
      tolerations: $tolerations
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: RuntimeDefault } }
      containers:
      - name: loadgen
        image: ghcr.io/salespipeline/loadgen:0.1.0
        env:
        - { name: LOADGEN_TARGET, value: "http://$SP-ingest:8080" }
        - { name: LOADGEN_API_KEY, valueFrom: { secretKeyRef: { name: loadgen, key: api-key } } }
        - { name: LOADGEN_RATE, value: "$SP_LOADGEN_RATE" }
        - { name: LOADGEN_OPS_PORT, value: "8080" }
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
        resources: { requests: { cpu: 50m, memory: 96Mi }, limits: { memory: 256Mi } }
        volumeMounts: [{ name: tmp, mountPath: /tmp }]
      volumes: [{ name: tmp, emptyDir: {} }]
EOF
kubectl rollout status deployment/loadgen -n "$NS" --timeout=5m >/dev/null

# The dashboard and the ingest API on the host's loopback, as a user's kubectl port-forward.
stop_forwards 2>/dev/null
sp_spawn port-forward-dashboard "$KUBE_BIN/kubectl" port-forward -n "$NS" "svc/$SP-dashboard" "$SP_UP_DASHBOARD_PORT:8080" --address 127.0.0.1
sp_spawn port-forward-ingest "$KUBE_BIN/kubectl" port-forward -n "$NS" "svc/$SP-ingest" "$SP_UP_INGEST_PORT:8080" --address 127.0.0.1
sp_wait_ready port-forward-dashboard 60 curl -fsS -m 3 "http://127.0.0.1:$SP_UP_DASHBOARD_PORT/healthz"
sp_wait_ready port-forward-ingest 60 curl -fsS -m 3 "http://127.0.0.1:$SP_UP_INGEST_PORT/healthz"

cat <<MSG

SalesPipeline $NS/$SP runs on the local node ($SP_NODE_NAME, $SP_NODE_IP), operator release $RELEASE in $OPERATOR_NS:
  dashboard   http://127.0.0.1:$SP_UP_DASHBOARD_PORT   (JSON API under /api/…)
  ingest API  http://127.0.0.1:$SP_UP_INGEST_PORT      POST /v1/orders with Authorization: Bearer \$(cat $STATE/loadgen-key)
  load generator: Deployment loadgen, $SP_LOADGEN_RATE orders/s
  kubectl:    KUBECONFIG=$KUBECONFIG $KUBE_BIN/kubectl get sp,pods -n $NS
Stop everything with: make down
MSG
