package sshtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// certifyHostKeys makes a certificate authority in dir and signs each host
// key with it using OpenSSH's own ssh-keygen, for the principals
// 127.0.0.1 and localhost. It returns the CA's public key and the
// HostCertificate lines for sshd_config.
func certifyHostKeys(dir string, keys []hostKey) (ssh.PublicKey, []string, error) {
	caPath := filepath.Join(dir, "host_ca")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sshtest host CA", "-f", caPath).CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("sshtest: ssh-keygen for the host CA: %v: %s", err, out)
	}
	b, err := os.ReadFile(caPath + ".pub")
	if err != nil {
		return nil, nil, err
	}
	ca, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil, nil, err
	}
	var lines []string
	for _, k := range keys {
		pubPath := k.path + ".pub"
		if err := os.WriteFile(pubPath, ssh.MarshalAuthorizedKey(k.pub), 0o644); err != nil {
			return nil, nil, err
		}
		out, err := exec.Command("ssh-keygen", "-q", "-s", caPath, "-h", "-I", "sshtest-"+k.typ,
			"-n", "127.0.0.1,localhost", "-V", "-5m:+1d", pubPath).CombinedOutput()
		if err != nil {
			return nil, nil, fmt.Errorf("sshtest: ssh-keygen -s for the %s host key: %v: %s", k.typ, err, out)
		}
		lines = append(lines, "HostCertificate "+quote(k.path+"-cert.pub"))
	}
	return ca, lines, nil
}
