//go:build race

package tunnel

// raceDetector: ngrok-go v2.4.0 races with itself when a heartbeat times
// out (rawSession.Auth writes its logger, the heartbeat checker reads it).
const raceDetector = true
