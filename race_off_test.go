//go:build !race

package amiko

const raceEnabled = false
