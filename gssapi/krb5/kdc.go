package krb5

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// The KDC transport (RFC 4120 section 7.2) is written here rather than
// taken from gokrb5's client, because that client turns the KDC's
// KRB-ERROR into a string: the error code, which says "unknown server"
// or "ticket expired", is lost.

// kdcTimeout bounds each attempt to reach one KDC, as gokrb5 and MIT's
// library do; the caller's context bounds them all.
const kdcTimeout = 5 * time.Second

// maxKDCReply bounds a reply read over TCP.
const maxKDCReply = 1 << 20

// exchange sends req to a KDC of realm and returns its reply: over UDP
// first when the request is small enough (udp_preference_limit), then
// over TCP if UDP fails or the KDC answers KRB_ERR_RESPONSE_TOO_BIG.
func (m *mechanism) exchange(ctx context.Context, realm string, req []byte) ([]byte, error) {
	limit := m.cfg.LibDefaults.UDPPreferenceLimit
	var udpErr error
	if limit != 1 && len(req) <= limit {
		reply, err := m.send(ctx, realm, req, false)
		if err == nil && !responseTooBig(reply) {
			return reply, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		udpErr = err
	}
	reply, err := m.send(ctx, realm, req, true)
	if err != nil && udpErr != nil {
		return nil, fmt.Errorf("%w (and over UDP: %w)", err, udpErr)
	}
	return reply, err
}

func (m *mechanism) send(ctx context.Context, realm string, req []byte, tcp bool) ([]byte, error) {
	_, kdcs, err := m.cfg.GetKDCs(realm, tcp)
	if err != nil {
		return nil, fmt.Errorf("krb5: finding a KDC for %s: %w", realm, err)
	}
	var errs []error
	for i := 1; i <= len(kdcs); i++ {
		reply, err := sendTo(ctx, kdcs[i], req, tcp, m.kdcTimeout)
		if err == nil {
			return reply, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("krb5: asking the KDC %s of %s: %w", kdcs[i], realm, context.Cause(ctx))
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("krb5: no KDC known for realm %s", realm)
	}
	return nil, fmt.Errorf("krb5: no KDC of %s answered: %w", realm, errors.Join(errs...))
}

// sendTo sends req to one KDC and reads its reply, within timeout and
// ctx.
func sendTo(ctx context.Context, addr string, req []byte, tcp bool, timeout time.Duration) ([]byte, error) {
	network := "udp"
	if tcp {
		network = "tcp"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	// Cancelling ctx (not only its deadline) interrupts the reads too.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if !tcp {
		if _, err := conn.Write(req); err != nil {
			return nil, err
		}
		buf := make([]byte, 65536)
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	msg := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(req)), uint32(len(req)))
	if _, err := conn.Write(append(msg, req...)); err != nil {
		return nil, err
	}
	var lenBuf [4]byte
	if _, err := io.ReadFull(conn, lenBuf[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(lenBuf[:])
	if n == 0 || n > maxKDCReply {
		return nil, fmt.Errorf("krb5: KDC %s sent a reply of %d bytes", addr, n)
	}
	reply := make([]byte, n)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return nil, err
	}
	return reply, nil
}

// asKRBError parses b as a KRB-ERROR if it is one ([APPLICATION 30]).
func asKRBError(b []byte) (messages.KRBError, bool) {
	var e messages.KRBError
	if len(b) == 0 || b[0] != 0x7e {
		return e, false
	}
	if err := e.Unmarshal(b); err != nil {
		return e, false
	}
	return e, true
}

func responseTooBig(reply []byte) bool {
	e, ok := asKRBError(reply)
	return ok && e.ErrorCode == errorcode.KRB_ERR_RESPONSE_TOO_BIG
}
