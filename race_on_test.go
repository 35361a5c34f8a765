//go:build race

package amiko

const raceEnabled = true
