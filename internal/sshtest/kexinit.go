package sshtest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Offer is what a server announces before key exchange: its version line
// and the algorithm lists of its SSH_MSG_KEXINIT (RFC 4253 section 7.1).
type Offer struct {
	Version                 string
	KeyExchanges            []string
	HostKeys                []string
	CiphersClientServer     []string
	CiphersServerClient     []string
	MACsClientServer        []string
	MACsServerClient        []string
	CompressionClientServer []string
	CompressionServerClient []string
}

// kexInitMsg is SSH_MSG_KEXINIT in the shape ssh.Unmarshal reads.
type kexInitMsg struct {
	Cookie                  [16]byte `sshtype:"20"`
	KexAlgos                []string
	ServerHostKeyAlgos      []string
	CiphersClientServer     []string
	CiphersServerClient     []string
	MACsClientServer        []string
	MACsServerClient        []string
	CompressionClientServer []string
	CompressionServerClient []string
	LanguagesClientServer   []string
	LanguagesServerClient   []string
	FirstKexFollows         bool
	Reserved                uint32
}

// Offered connects to the server and reports what it offers, without
// completing a key exchange: the way to check what AllAlgorithms, a
// Config line or a host key type did.
func (s *Server) Offered() (*Offer, error) {
	c, err := net.DialTimeout("tcp", s.Addr, 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "SSH-2.0-sshtest\r\n"); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	version, err := readVersion(r)
	if err != nil {
		return nil, err
	}
	payload, err := readPlainPacket(r)
	if err != nil {
		return nil, err
	}
	var m kexInitMsg
	if err := ssh.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("sshtest: %s sent a bad KEXINIT: %w", s.Name, err)
	}
	return &Offer{
		Version:                 version,
		KeyExchanges:            m.KexAlgos,
		HostKeys:                m.ServerHostKeyAlgos,
		CiphersClientServer:     m.CiphersClientServer,
		CiphersServerClient:     m.CiphersServerClient,
		MACsClientServer:        m.MACsClientServer,
		MACsServerClient:        m.MACsServerClient,
		CompressionClientServer: m.CompressionClientServer,
		CompressionServerClient: m.CompressionServerClient,
	}, nil
}

// readVersion skips the lines a server may send before its version line
// (RFC 4253 section 4.2) and returns that line.
func readVersion(r *bufio.Reader) (string, error) {
	for range 64 {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("sshtest: reading version: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "SSH-") {
			return line, nil
		}
	}
	return "", errors.New("sshtest: no version line in the first 64")
}

// readPlainPacket reads one binary packet sent before any key is in use:
// length, padding length, payload, padding, and no MAC.
func readPlainPacket(r io.Reader) ([]byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("sshtest: reading KEXINIT: %w", err)
	}
	length := binary.BigEndian.Uint32(hdr[:4])
	padding := uint32(hdr[4])
	// RFC 4253 section 6.1: implementations must handle 35000 bytes.
	if length < 1+padding || length > 35000 {
		return nil, fmt.Errorf("sshtest: bad packet length %d (padding %d)", length, padding)
	}
	body := make([]byte, length-1)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("sshtest: reading KEXINIT: %w", err)
	}
	return body[:len(body)-int(padding)], nil
}
