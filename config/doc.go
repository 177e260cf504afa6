// Package config reads a sentinel.conf, plus raftinel's own directives, into
// a Config.
//
// The file is input only. Redis Sentinel persists its state by rewriting its
// own config file (new replicas, known sentinels, epochs, the current master
// address); raftinel keeps that state in the Raft log and snapshots under
// Config.Dir instead. So raftinel never writes the file: a read-only file (a
// Kubernetes ConfigMap, a file managed by Ansible or Nix) works, the file the
// operator wrote is the file that stays on disk, and there is no partial
// rewrite to corrupt on a crash. The file seeds a new cluster; once a cluster
// exists, its replicated state wins over config-file lines.
//
// The grammar is Redis's: lines split like sdssplitargs (see SplitArgs),
// case-insensitive keywords, `--name value ...` command-line overrides
// appended after the file, and `sentinel ...` lines loaded in Sentinel's three
// passes. Error reasons are Redis's own wording where Redis has one, so a
// config that fails in redis-sentinel fails here with the same message (see
// Error.Banner). A file written for redis-sentinel, including one Redis has
// rewritten, loads unchanged; Redis server directives that mean nothing to a
// Sentinel are accepted and listed in Config.Ignored (see ignoredDirectives).
//
// The parser does no I/O beyond reading the file and checking that
// notification and client-reconfig scripts exist and are executable, as
// Sentinel does. In particular it never resolves hostnames: with
// `sentinel resolve-hostnames yes` a name is stored as written and resolved
// when dialled, so a node can start before a Kubernetes pod name resolves.
package config
