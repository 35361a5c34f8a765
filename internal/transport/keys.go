package transport

import "crypto"

// deriveKey computes one of the six keys of RFC 4253 section 7.2:
// HASH(K || H || letter || session_id), extended with
// HASH(K || H || K1 || K2 ...) until it is n bytes long. K is already
// encoded as the method hashes it (mpint or string).
func deriveKey(hash crypto.Hash, K, H []byte, letter byte, sessionID []byte, n int) []byte {
	h := hash.New()
	h.Write(K)
	h.Write(H)
	h.Write([]byte{letter})
	h.Write(sessionID)
	out := h.Sum(make([]byte, 0, n+hash.Size()))
	for len(out) < n {
		h.Reset()
		h.Write(K)
		h.Write(H)
		h.Write(out)
		out = h.Sum(out)
	}
	return out[:n]
}
