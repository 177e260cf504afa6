#!/usr/bin/env bash
# The test command (README): installs missing packages, then vet and the
# whole suite with the race detector, fuzz seed corpora included, then the
# deployment checks (deploy/check, a module of its own: Helm, Kubernetes
# types and compose-go stay out of raftinel's go.mod), then Redis 7.2.6's
# own Sentinel test suite against raftinel (scripts/conformance.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
go mod tidy -diff # go.mod lists what the code imports, nothing else
go vet -tags e2e ./...
# -tags e2e: the end-to-end tests too (real redis-server and raftinel
# processes); `go test ./...` alone runs the unit tests only.
go test -race -tags e2e -timeout 30m ./...
(cd deploy/check && go vet ./... && go test -v -count=1 ./...)
bash scripts/conformance.sh
