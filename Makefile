# SalesPipeline — every entry point a developer needs. `make help` lists them.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help
INFRA := scripts/infra/all.sh

.PHONY: help setup build up down test test-unit bench lint format infra-up infra-down infra-status clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Install everything missing: npm packages, Debian packages, service jars and binaries (cached)
	@scripts/setup.sh

build: ## Compile every TypeScript package (tsc -b)
	@npx tsc -b

up: setup ## Run the whole pipeline locally on the real services, with a load generator; prints the URLs
	@scripts/up.sh

down: ## Stop the apps and every local service
	@scripts/up.sh stop

test: ## Install what is missing, start the services, run the whole suite, stop what it started
	@scripts/test.sh

test-unit: ## Only the unit tests (no service needed)
	@npm test --silent -- --selectProjects unit

bench: setup ## Run every benchmark; figures printed and written to bench/results/*.json
	@bash bench/run-all.sh

lint: ## Type-check, eslint and prettier
	@npx tsc -b && npx eslint . && npx prettier --check .

format: ## Rewrite files with prettier and eslint --fix
	@npx prettier --write . && npx eslint --fix .

infra-up: ## Start Kafka, Cassandra, MariaDB, Prometheus and the Kubernetes control plane
	@$(INFRA) up

infra-down: ## Stop the local services
	@$(INFRA) down

infra-status: ## Show which local services run and where
	@$(INFRA) status

clean: ## Remove build output and the local services' data (keeps the download cache)
	@$(INFRA) down || true
	@npx tsc -b --clean; rm -rf .local test-artifacts
