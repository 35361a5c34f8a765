package sftp

import pkgsftp "github.com/pkg/sftp"

// defaultOptions are the settings NewClient starts from for a server
// with limits (nil if it told none); see the package documentation for
// the measurements behind them.
func defaultOptions(limits *serverLimits) []pkgsftp.ClientOption {
	return []pkgsftp.ClientOption{
		pkgsftp.UseConcurrentReads(true),
		pkgsftp.UseConcurrentWrites(true),
		pkgsftp.MaxConcurrentRequestsPerFile(64),
		pkgsftp.MaxPacketUnchecked(limits.requestSize()),
	}
}
