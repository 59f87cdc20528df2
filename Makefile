# SalesPipeline — every entry point a developer needs. `make help` lists them.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help
INFRA := scripts/infra/all.sh

.PHONY: help setup build up dev down test test-unit bench lint format infra-up infra-down infra-status clean images kind-up kind-down manifests

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Install everything missing: npm packages, Debian packages, service jars and binaries (cached)
	@scripts/setup.sh

build: ## Compile every TypeScript package (tsc -b)
	@npx tsc -b

up: setup ## The product as users run it: real node, operator via Helm, a SalesPipeline, a load generator; prints the URLs
	@scripts/cluster-up.sh

dev: setup ## Fast inner loop: the apps as plain processes on the local services, with a load generator; prints the URLs
	@scripts/up.sh

down: ## Stop what `make up` or `make dev` started: the pipeline, the node and every local service
	@scripts/run-apps.sh stop; scripts/cluster-up.sh stop

test: ## Install what is missing, start the services, run the whole suite, stop what it started
	@scripts/test.sh

test-unit: ## Only the unit tests (no service needed)
	@npm test --silent -- --selectProjects unit

bench: setup ## Run every benchmark; figures printed and written to bench/results/*.json
	@bash bench/run-all.sh

lint: ## Type-check, eslint and prettier
	@npx tsc -b && npx tsc -p tsconfig.tests.json && npx eslint . && npx prettier --check .

format: ## Rewrite files with prettier and eslint --fix
	@npx prettier --write . && npx eslint --fix .

infra-up: ## Start Kafka, Cassandra, MariaDB, Prometheus and the Kubernetes control plane
	@$(INFRA) up

infra-down: ## Stop the local services
	@$(INFRA) down

infra-status: ## Show which local services run and where
	@$(INFRA) status

clean: ## Remove build output and the local services' data (keeps the download cache)
	@scripts/infra/node.sh stop || true
	@$(INFRA) down || true
	@npx tsc -b --clean; rm -rf .local test-artifacts

# ---------------------------------------------------------------------------------------------
# Kubernetes packaging. `images` builds with the project's own private dockerd (root);
# `kind-up` needs a Docker engine and kind: not run in CI here.
# ---------------------------------------------------------------------------------------------
IMAGE_REGISTRY ?= ghcr.io/salespipeline
IMAGE_TAG ?= 0.1.0
KIND_CLUSTER ?= salespipeline
KIND ?= kind
# Versions the SalesPipeline CRDs and charts are tested against (crds/third-party/SOURCES.md).
STRIMZI_VERSION ?= 0.45.0
K8SSANDRA_OPERATOR_VERSION ?= 1.20.0
CERT_MANAGER_VERSION ?= v1.16.2

manifests: ## Regenerate crds/, k8s/ and the chart's generated files from the cdk8s sources
	@npm run --silent -w @salespipeline/cdk8s generate

images: ## Build the operator, app and MariaDB images with a private dockerd; import them into the local node if it runs
	@IMAGE_REGISTRY=$(IMAGE_REGISTRY) IMAGE_TAG=$(IMAGE_TAG) scripts/images.sh

kind-up: images ## kind cluster + cert-manager, Strimzi, k8ssandra-operator, the operator chart and the dev sample (needs Docker, kind, kubectl, helm)
	@for tool in $(KIND) kubectl helm; do command -v $$tool >/dev/null 2>&1 || { echo "make kind-up: $$tool not found on PATH" >&2; exit 1; }; done
	@$(KIND) get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)' || $(KIND) create cluster --name $(KIND_CLUSTER) --wait 120s
	kubectl config use-context kind-$(KIND_CLUSTER)
	kubectl apply -f https://github.com/cert-manager/cert-manager/releases/download/$(CERT_MANAGER_VERSION)/cert-manager.yaml
	kubectl -n cert-manager rollout status deployment/cert-manager-webhook --timeout=180s
	helm upgrade --install strimzi oci://quay.io/strimzi-helm/strimzi-kafka-operator --version $(STRIMZI_VERSION) \
	  --namespace strimzi --create-namespace --set watchAnyNamespace=true --wait
	helm repo add k8ssandra https://helm.k8ssandra.io/stable --force-update
	helm upgrade --install k8ssandra-operator k8ssandra/k8ssandra-operator --version $(K8SSANDRA_OPERATOR_VERSION) \
	  --namespace k8ssandra-operator --create-namespace --set global.clusterScoped=true --wait
	$(KIND) load image-archive --name $(KIND_CLUSTER) .local/images/salespipeline-images.tar
	helm upgrade --install salespipeline charts/salespipeline-operator --namespace salespipeline-system --create-namespace \
	  --set image.repository=$(IMAGE_REGISTRY)/operator --set image.tag=$(IMAGE_TAG) --wait
	kubectl apply -k k8s/samples/dev
	@echo "Watch it come up: kubectl get sp -A -w   (dashboard: kubectl -n salespipeline-dev port-forward svc/dev-dashboard 8080)"

kind-down: ## Delete the SalesPipelines (the operator tears them down), uninstall, delete the kind cluster
	kubectl delete salespipelines --all --all-namespaces --wait --timeout=10m || true
	helm uninstall salespipeline --namespace salespipeline-system --timeout 10m || true
	$(KIND) delete cluster --name $(KIND_CLUSTER)
