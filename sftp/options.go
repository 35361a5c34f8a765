package sftp

import pkgsftp "github.com/pkg/sftp"

// defaultOptions are the settings NewClient starts from; see the package
// documentation for the measurements behind them.
func defaultOptions() []pkgsftp.ClientOption {
	return []pkgsftp.ClientOption{
		pkgsftp.UseConcurrentReads(true),
		pkgsftp.UseConcurrentWrites(true),
		pkgsftp.MaxConcurrentRequestsPerFile(64),
	}
}
