#!/usr/bin/env bash
# The test command (README): installs missing packages, then vet and the
# whole suite with the race detector, fuzz seed corpora included, then the
# deployment checks (deploy/check, a module of its own: Helm, Kubernetes
# types and compose-go stay out of raftinel's go.mod), then Redis 7.2.6's
# own Sentinel test suite against raftinel (scripts/conformance.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
go vet ./...
go test -race -timeout 30m ./...
(cd deploy/check && go vet ./... && go test -v -count=1 ./...)
bash scripts/conformance.sh
