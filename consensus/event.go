package consensus

// Event is a Sentinel Pub/Sub event produced by applying a log entry. Every
// node applies every entry, so every node publishes the same events.
type Event struct {
	Channel string
	Payload string
	Master  string // the master the event is about ("" for global events)
}
