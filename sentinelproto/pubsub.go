package sentinelproto

// helloChannel is the only channel PUBLISH accepts.
const helloChannel = "__sentinel__:hello"

// knownEvents are the channels Sentinel publishes (spec §4). The resp
// server matches PSUBSCRIBE patterns against them once, in the
// subscriber's goroutine, so that Publish does a map lookup instead of glob
// matching: a hostile pattern costs its own connection, not the node's
// event path.
var knownEvents = []string{
	"+monitor", "-monitor", "+set", "+reset-master", "+slave", "+sentinel", "+sdown", "-sdown",
	"+odown", "-odown", "+new-epoch", "+try-failover", "+vote-for-leader", "+elected-leader",
	"+failover-state-select-slave", "+selected-slave", "+failover-state-send-slaveof-noone",
	"+failover-state-wait-promotion", "+promoted-slave", "+failover-state-reconf-slaves",
	"+slave-reconf-sent", "+slave-reconf-inprog", "+slave-reconf-done", "+slave-reconf-sent-be",
	"-slave-reconf-sent-timeout", "+failover-end-for-timeout", "+failover-end", "+switch-master",
	"+config-update-from", "-failover-abort-not-elected", "-failover-abort-no-good-slave",
	"-failover-abort-slave-timeout", "+convert-to-slave", "+fix-slave-config", "+role-change",
	"-role-change", "+reboot", "+sentinel-address-switch", "+sentinel-invalid-addr",
	"+sentinel-address-update", "+tilt", "-tilt", "-script-error", "-script-timeout",
}

func cmdSubscribe(x *cmdCtx)    { x.c.Subscribe(x.args[1:], false) }
func cmdPsubscribe(x *cmdCtx)   { x.c.Subscribe(x.args[1:], true) }
func cmdUnsubscribe(x *cmdCtx)  { x.c.Unsubscribe(x.args[1:], false) }
func cmdPunsubscribe(x *cmdCtx) { x.c.Unsubscribe(x.args[1:], true) }

// PUBLISH channel message: Sentinel accepts only hello messages, answers 1
// and relays nothing. raftinel learns its peers from Raft, so the hello is
// not processed further.
func cmdPublish(x *cmdCtx) {
	if x.arg(1) != helloChannel {
		x.r.err("ERR Only HELLO messages are accepted by Sentinel instances.")
		return
	}
	x.r.int(1)
}
