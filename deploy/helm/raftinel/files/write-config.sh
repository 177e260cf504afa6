#!/bin/sh
# write-config.sh TEMPLATE SECRET_FILE OUT [SECRET_CONFIG]
# Run by busybox sh in the raftinel image, in an init container. OUT is
# TEMPLATE with @POD_NAME@ and @POD_NAMESPACE@ filled in, then raft-secret
# with SECRET_FILE's bytes as \xHH escapes in double quotes (every byte
# survives config parsing; a trailing newline is kept), then SECRET_CONFIG's
# lines if given. The secret goes from the file through od to a shell
# built-in: it is never an argument of a program, never in the environment.
set -eu
if [ ! -s "$2" ]; then
  echo "write-config.sh: $2 is missing or empty: the Secret needs a non-empty raft-secret key" >&2
  exit 1
fi
umask 077
{
  sed -e "s/@POD_NAME@/$POD_NAME/g" -e "s/@POD_NAMESPACE@/$POD_NAMESPACE/g" "$1"
  printf '\nraft-secret "%s"\n' "$(od -An -v -tx1 "$2" | tr -d ' \n' | sed 's/../\\x&/g')"
  if [ -n "${4:-}" ]; then
    cat "$4"
    echo
  fi
} >"$3.tmp"
mv "$3.tmp" "$3"
