package wire

// KexInit is SSH_MSG_KEXINIT (RFC 4253 section 7.1).
type KexInit struct {
	Cookie                  [16]byte
	KexAlgos                []string
	HostKeyAlgos            []string
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

// Append appends the encoded message, message number included.
func (m *KexInit) Append(b []byte) []byte {
	b = append(b, MsgKexInit)
	b = append(b, m.Cookie[:]...)
	for _, l := range m.lists() {
		b = AppendNameList(b, *l)
	}
	b = AppendBool(b, m.FirstKexFollows)
	return AppendUint32(b, m.Reserved)
}

func (m *KexInit) lists() [10]*[]string {
	return [10]*[]string{&m.KexAlgos, &m.HostKeyAlgos,
		&m.CiphersClientServer, &m.CiphersServerClient,
		&m.MACsClientServer, &m.MACsServerClient,
		&m.CompressionClientServer, &m.CompressionServerClient,
		&m.LanguagesClientServer, &m.LanguagesServerClient}
}

var kexInitFields = [10]string{"kex_algorithms", "server_host_key_algorithms",
	"encryption_algorithms_client_to_server", "encryption_algorithms_server_to_client",
	"mac_algorithms_client_to_server", "mac_algorithms_server_to_client",
	"compression_algorithms_client_to_server", "compression_algorithms_server_to_client",
	"languages_client_to_server", "languages_server_to_client"}

// ParseKexInit decodes SSH_MSG_KEXINIT, message number included.
func ParseKexInit(p []byte) (*KexInit, error) {
	r := NewReader("KEXINIT", p)
	if r.Byte("message number") != MsgKexInit {
		return nil, &ParseError{Msg: "KEXINIT", Field: "message number"}
	}
	m := new(KexInit)
	copy(m.Cookie[:], r.Bytes("cookie", 16))
	for i, l := range m.lists() {
		*l = r.NameList(kexInitFields[i])
	}
	m.FirstKexFollows = r.Bool("first_kex_packet_follows")
	m.Reserved = r.Uint32("reserved")
	// RFC 4253 allows nothing after the reserved field; OpenSSH rejects
	// trailing data too.
	if err := r.End(); err != nil {
		return nil, err
	}
	return m, nil
}

// Disconnect is SSH_MSG_DISCONNECT (RFC 4253 section 11.1).
type Disconnect struct {
	Reason   uint32
	Message  string
	Language string
}

// Append appends the encoded message, message number included.
func (m *Disconnect) Append(b []byte) []byte {
	b = append(b, MsgDisconnect)
	b = AppendUint32(b, m.Reason)
	b = AppendText(b, m.Message)
	return AppendText(b, m.Language)
}

// ParseDisconnect decodes SSH_MSG_DISCONNECT. A missing language tag is
// tolerated: some servers omit it.
func ParseDisconnect(p []byte) (*Disconnect, error) {
	r := NewReader("DISCONNECT", p)
	r.Byte("message number")
	m := &Disconnect{Reason: r.Uint32("reason code"), Message: r.Text("description")}
	if r.Len() > 0 {
		m.Language = r.Text("language tag")
	}
	return m, r.Err()
}

// Debug is SSH_MSG_DEBUG (RFC 4253 section 11.3).
type Debug struct {
	AlwaysDisplay bool
	Message       string
	Language      string
}

// ParseDebug decodes SSH_MSG_DEBUG.
func ParseDebug(p []byte) (*Debug, error) {
	r := NewReader("DEBUG", p)
	r.Byte("message number")
	m := &Debug{AlwaysDisplay: r.Bool("always_display"), Message: r.Text("message")}
	if r.Len() > 0 {
		m.Language = r.Text("language tag")
	}
	return m, r.Err()
}

// ParseUnimplemented decodes SSH_MSG_UNIMPLEMENTED and returns the
// sequence number of the rejected packet.
func ParseUnimplemented(p []byte) (uint32, error) {
	r := NewReader("UNIMPLEMENTED", p)
	r.Byte("message number")
	seq := r.Uint32("sequence number")
	return seq, r.End()
}

// AppendUnimplemented appends SSH_MSG_UNIMPLEMENTED for packet seq.
func AppendUnimplemented(b []byte, seq uint32) []byte {
	return AppendUint32(append(b, MsgUnimplemented), seq)
}

// AppendServiceRequest appends SSH_MSG_SERVICE_REQUEST.
func AppendServiceRequest(b []byte, service string) []byte {
	return AppendText(append(b, MsgServiceRequest), service)
}

// ParseServiceAccept decodes SSH_MSG_SERVICE_ACCEPT and returns the
// service name.
func ParseServiceAccept(p []byte) (string, error) {
	r := NewReader("SERVICE_ACCEPT", p)
	r.Byte("message number")
	s := r.Text("service name")
	return s, r.End()
}

// Extension is one entry of SSH_MSG_EXT_INFO (RFC 8308).
type Extension struct {
	Name  string
	Value []byte
}

// maxExtensions bounds the count field of EXT_INFO before anything is
// allocated for it; servers send a handful.
const maxExtensions = 1024

// ParseExtInfo decodes SSH_MSG_EXT_INFO.
func ParseExtInfo(p []byte) ([]Extension, error) {
	r := NewReader("EXT_INFO", p)
	r.Byte("message number")
	n := r.Uint32("nr-extensions")
	// Each extension takes at least 8 bytes, so n is bounded by the
	// packet's own size as well.
	if n > maxExtensions || uint64(n)*8 > uint64(r.Len()) {
		return nil, &ParseError{Msg: "EXT_INFO", Field: "nr-extensions"}
	}
	exts := make([]Extension, 0, n)
	for i := uint32(0); i < n; i++ {
		name := r.Text("extension-name")
		value := append([]byte(nil), r.String("extension-value")...)
		exts = append(exts, Extension{Name: name, Value: value})
	}
	if err := r.End(); err != nil {
		return nil, err
	}
	return exts, nil
}

// AppendExtInfo appends SSH_MSG_EXT_INFO.
func AppendExtInfo(b []byte, exts []Extension) []byte {
	b = AppendUint32(append(b, MsgExtInfo), uint32(len(exts)))
	for _, e := range exts {
		b = AppendText(b, e.Name)
		b = AppendString(b, e.Value)
	}
	return b
}

// AppendGlobalRequest appends SSH_MSG_GLOBAL_REQUEST (RFC 4254 section 4).
func AppendGlobalRequest(b []byte, name string, wantReply bool, data []byte) []byte {
	b = AppendText(append(b, MsgGlobalRequest), name)
	b = AppendBool(b, wantReply)
	return append(b, data...)
}

// GlobalRequest is SSH_MSG_GLOBAL_REQUEST.
type GlobalRequest struct {
	Name      string
	WantReply bool
	Data      []byte // aliases the packet
}

// ParseGlobalRequest decodes SSH_MSG_GLOBAL_REQUEST.
func ParseGlobalRequest(p []byte) (*GlobalRequest, error) {
	r := NewReader("GLOBAL_REQUEST", p)
	r.Byte("message number")
	m := &GlobalRequest{Name: r.Text("request name"), WantReply: r.Bool("want reply")}
	m.Data = r.Rest()
	return m, r.Err()
}
