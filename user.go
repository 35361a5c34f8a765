package amiko

import (
	"fmt"
	"os"
	"os/user"
)

// localUsername is paramiko's default username, found as Python's
// getpass.getuser finds it: the environment first (so it works in
// containers and without cgo), then the account database.
func localUsername() (string, error) {
	for _, v := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		if u := os.Getenv(v); u != "" {
			return u, nil
		}
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("ssh: no username given and the local one is unknown: %w", err)
	}
	return u.Username, nil
}
