package amiko

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// loadKeyFile reads a private key file for authentication. An encrypted
// key is unlocked with passphrase, or else with password (paramiko's
// rule), or fails with *PassphraseRequiredError. A certificate beside the
// key (key + "-cert.pub") is loaded with it, and a path ending in
// "-cert.pub" loads the key beside it.
func loadKeyFile(path, passphrase, password string, ask func(string) (string, error)) (ssh.Signer, error) {
	keyPath, certPath := path, path+"-cert.pub"
	if base, ok := strings.CutSuffix(path, "-cert.pub"); ok {
		keyPath, certPath = base, path
	}
	pem, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		secret := passphrase
		if secret == "" {
			secret = password
		}
		if secret != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(secret))
		}
		if (secret == "" || errors.Is(err, x509.IncorrectPasswordError)) && ask != nil {
			if secret, err = ask(keyPath); err != nil {
				return nil, err
			}
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(secret))
		}
		if secret == "" {
			return nil, &PassphraseRequiredError{File: keyPath}
		}
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("ssh: wrong passphrase for %s: %w", keyPath, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("ssh: cannot read private key %s: %w", keyPath, err)
	}
	certBytes, err := os.ReadFile(certPath)
	if errors.Is(err, os.ErrNotExist) {
		return signer, nil
	}
	if err != nil {
		return nil, err
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(certBytes)
	if err != nil {
		return nil, fmt.Errorf("ssh: cannot read certificate %s: %w", certPath, err)
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		return nil, fmt.Errorf("ssh: %s is not a certificate", certPath)
	}
	return ssh.NewCertSigner(cert, signer)
}

// discoverableKeys are the files paramiko looks for in ~/.ssh, in its
// order, with id_ed25519 as modern paramiko has it.
var discoverableKeys = []string{"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"}

// discoveredKeyFiles returns the discoverable key files that exist.
func discoveredKeyFiles() []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	var files []string
	for _, name := range discoverableKeys {
		p := filepath.Join(home, ".ssh", name)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	return files
}
