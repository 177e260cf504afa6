package model

// Event is a Sentinel Pub/Sub event produced by applying a log entry. Every
// node applies every entry, so every node publishes the same events.
type Event struct {
	Channel string
	Payload string
	Master  string // the master the event is about ("" for global events)
	// NotificationScript is the master's notification-script on -monitor:
	// the entry removed the master, so the state no longer holds it.
	NotificationScript string
}
