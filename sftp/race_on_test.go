//go:build race

package sftp_test

const raceEnabled = true
