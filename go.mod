module github.com/amiko-ssh/amiko

go 1.26.0

require (
	github.com/klauspost/compress v1.20.3
	golang.org/x/crypto v0.58.0
)

require golang.org/x/sys v0.49.0 // indirect
