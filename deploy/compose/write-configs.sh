#!/bin/sh
# write-configs.sh SRC OUT OWNER
# Run by the raftinel-init service of docker-compose.yml (sh of the redis
# image) at every `docker compose up`, before any node starts:
#   - the first time, it makes the cluster's raft-secret: 32 random bytes
#     as 64 hex digits in OUT/raft-secret (the raftinel-conf volume, which
#     `docker compose down -v` removes together with the nodes' data);
#   - every time, it writes each node's config OUT/raftinel-N.conf:
#     SRC/raftinel-N.conf followed by `raft-secret <the secret>`.
# The secret is never on a command line or in the environment: it goes
# from /dev/urandom to the file, and from the file to a shell built-in.
# Files are OWNER's (the raftinel user), readable by nobody else.
set -eu
src=$1 out=$2 owner=$3
umask 077
if [ ! -s "$out/raft-secret" ]; then
  head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$out/raft-secret.tmp"
  mv "$out/raft-secret.tmp" "$out/raft-secret"
fi
secret=$(cat "$out/raft-secret")
for f in "$src"/raftinel-*.conf; do
  n=${f##*/}
  {
    cat "$f"
    printf '\nraft-secret %s\n' "$secret"
  } >"$out/$n.tmp"
  mv "$out/$n.tmp" "$out/$n"
done
chown "$owner" "$out" "$out"/*
