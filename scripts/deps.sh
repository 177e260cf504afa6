#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo need, when missing.
# Usage: bash scripts/deps.sh
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
# sentinelproto compares its replies with a live redis-sentinel 7.0.
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel)
# e2e/clients drives real Sentinel clients: redis-py (Debian's, run by
# /usr/bin/python3) and ioredis/node-redis (npm ci by the test itself).
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || need+=(python3-redis)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# scripts/conformance.sh runs Redis's Sentinel suite, written in Tcl.
command -v tclsh >/dev/null 2>&1 || need+=(tcl)
# ... and its --tls mode loads the Tcl TLS extension.
echo 'if {[catch {package require tls}]} {exit 1}' | tclsh >/dev/null 2>&1 || need+=(tcl-tls)
# deploy/check runs the Kubernetes init script under busybox sh, as the
# Alpine-based image does.
command -v busybox >/dev/null 2>&1 || need+=(busybox)
# nft: the partition tests (internal/netfault) drop packets; they need root
# and skip without it, so only root installs it.
if [ "$(id -u)" = 0 ] && ! command -v nft >/dev/null 2>&1 && [ ! -x /usr/sbin/nft ]; then
  need+=(nftables)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing ${need[*]}: run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${need[@]}"; }
fi
