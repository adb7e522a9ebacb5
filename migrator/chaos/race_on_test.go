//go:build race

package chaos_test

// raceDetector: the race detector slows the in-process fake Kestra down
// about 15 times on large sources.
const raceDetector = true
