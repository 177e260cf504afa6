//go:build e2e && !race

package clients

const raceEnabled = false
