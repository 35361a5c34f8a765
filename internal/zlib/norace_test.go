//go:build !race

package zlib

const raceEnabled = false
