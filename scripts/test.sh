#!/usr/bin/env bash
# The test command (README): installs missing packages, then vet and the
# whole suite with the race detector, fuzz seed corpora included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
go vet ./...
go test -race -timeout 30m ./...
