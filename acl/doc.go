// Package acl is Redis 7.0's access control model, as a Sentinel port needs
// it: users with passwords and on/off flags, command permissions by name,
// subcommand and category (+@admin, -sentinel|set, +ping|arg), channel
// patterns for Pub/Sub (&pattern, allchannels), key patterns (kept and
// shown, though no Sentinel command has keys), selectors "( ... )", the
// ACL LOG, and the aclfile format.
//
// Why its own package: a user switching from redis-sentinel brings `user`
// lines, an aclfile and ACL SETUSER scripts written for Redis, and expects
// the same verdicts and the same texts (ACL LIST, GETUSER, error messages)
// from raftinel. The rules are subtle (a container command's bit covers its
// subcommands, categories are re-derived from the permission bitmap when a
// user is described), so they live here, pure and table-tested, and the
// protocol layer (sentinelproto) only asks questions: who is this user,
// may they run this command with these arguments, what does ACL LIST say.
//
// The package knows no command by itself: the caller describes its command
// table (names, categories, subcommands, which arguments are channels) with
// NewTable. Nothing here does I/O except LoadFile and SaveFile.
//
// ACL state is per process, as in Redis and Sentinel: raftinel does not
// replicate ACL changes through the Raft log (docs/divergence.md).
package acl
