package wire

// Message numbers (RFC 4250 section 4.1, RFC 4419, RFC 4462, RFC 8308).
const (
	MsgDisconnect     = 1
	MsgIgnore         = 2
	MsgUnimplemented  = 3
	MsgDebug          = 4
	MsgServiceRequest = 5
	MsgServiceAccept  = 6
	MsgExtInfo        = 7

	MsgKexInit = 20
	MsgNewKeys = 21

	// Key exchange method specific messages, 30 to 49. The same number means
	// different messages depending on the method.
	MsgKexDHInit      = 30 // also KEX_ECDH_INIT, KEX_HYBRID_INIT
	MsgKexDHReply     = 31 // also KEX_ECDH_REPLY, KEX_HYBRID_REPLY
	MsgKexGexRequest  = 34
	MsgKexGexGroup    = 31
	MsgKexGexInit     = 32
	MsgKexGexReply    = 33
	MsgKexGSSInit     = 30
	MsgKexGSSContinue = 31
	MsgKexGSSComplete = 32
	MsgKexGSSHostKey  = 33
	MsgKexGSSError    = 34
	MsgKexGSSGroupReq = 40
	MsgKexGSSGroup    = 41

	MsgUserauthRequest = 50
	MsgUserauthFailure = 51
	MsgUserauthSuccess = 52
	MsgUserauthBanner  = 53
	// 60 to 79 are method specific: PK_OK, PASSWD_CHANGEREQ, INFO_REQUEST,
	// GSSAPI_RESPONSE share numbers.
	MsgUserauthPKOK        = 60
	MsgUserauthInfoRequest = 60
	MsgUserauthInfoReply   = 61

	MsgGlobalRequest          = 80
	MsgRequestSuccess         = 81
	MsgRequestFailure         = 82
	MsgChannelOpen            = 90
	MsgChannelOpenConfirm     = 91
	MsgChannelOpenFailure     = 92
	MsgChannelWindowAdjust    = 93
	MsgChannelData            = 94
	MsgChannelExtendedData    = 95
	MsgChannelEOF             = 96
	MsgChannelClose           = 97
	MsgChannelRequest         = 98
	MsgChannelSuccess         = 99
	MsgChannelFailure         = 100
	MsgChannelOpenFailureCode = 92
)

// Disconnect reason codes (RFC 4250 section 4.2.2).
const (
	DisconnectHostNotAllowedToConnect     = 1
	DisconnectProtocolError               = 2
	DisconnectKeyExchangeFailed           = 3
	DisconnectReserved                    = 4
	DisconnectMACError                    = 5
	DisconnectCompressionError            = 6
	DisconnectServiceNotAvailable         = 7
	DisconnectProtocolVersionNotSupported = 8
	DisconnectHostKeyNotVerifiable        = 9
	DisconnectConnectionLost              = 10
	DisconnectByApplication               = 11
	DisconnectTooManyConnections          = 12
	DisconnectAuthCancelledByUser         = 13
	DisconnectNoMoreAuthMethodsAvailable  = 14
	DisconnectIllegalUserName             = 15
)

// IsKex reports whether msg belongs to the key exchange (RFC 4253 section
// 7: KEXINIT, NEWKEYS and the method specific numbers 30 to 49).
func IsKex(msg byte) bool {
	return msg == MsgKexInit || msg == MsgNewKeys || (msg >= 30 && msg <= 49)
}
