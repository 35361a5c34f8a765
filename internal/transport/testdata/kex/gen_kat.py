#!/usr/bin/python3
"""Generates kat.json: known-answer vectors for amiko's client key exchange.

Run with Debian's interpreter, which has python3-asyncssh (2.10) and
python3-paramiko (2.12):

    /usr/bin/python3 internal/transport/testdata/kex/gen_kat.py

Every value comes from the libraries' own key exchange code, not from
amiko. For each method the script fixes the client's private value (the
exact bytes amiko's client reads from kexInput.rand, see client_rand), the
server's private value and an Ed25519 host key, and then runs the library's
client-side kex object and server-side kex object against each other:

    client kex  -> init message        (what amiko must send)
    server kex  -> reply message(s)    (what the Go test replays)
    client kex  -> K and H             (what amiko must compute)
    library KDF -> keys A..F           (RFC 4253 section 7.2)

asyncssh produces every vector; paramiko, where it implements the method,
runs the same exchange independently and must agree byte for byte (the
script stops otherwise). Both libraries' randomness is monkeypatched to
return the fixed values; nothing else of theirs is changed.

The script also checks asyncssh's MODP primes against the formulas that
define them (RFC 2409 section 6.2, RFC 3526), computing pi itself, so the
fixed-group vectors pin amiko's group constants to the RFCs.

mlkem768x25519-sha256 is in neither library at these versions; its vector
(kat_mlkem.json) comes from golang.org/x/crypto/ssh, see
kex_xcrypto_test.go.
"""

import hashlib
import io
import json
import os
import sys
import types
import warnings

warnings.filterwarnings("ignore")

import asyncssh  # noqa: E402
import asyncssh.crypto.ec  # noqa: E402
import asyncssh.crypto.ed  # noqa: E402
import asyncssh.kex_dh  # noqa: E402
import paramiko  # noqa: E402
import paramiko.kex_curve25519  # noqa: E402
import paramiko.kex_ecdh_nist  # noqa: E402
import paramiko.kex_gex  # noqa: E402
import paramiko.kex_group1  # noqa: E402
import paramiko.kex_group14  # noqa: E402
import paramiko.kex_group16  # noqa: E402
from asyncssh.packet import MPInt, NameList, SSHPacket, String  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
KEY_LEN = 128  # bytes of each derived key: several hash blocks for every hash

CLIENT_VERSION = b"SSH-2.0-amiko_kat"
SERVER_VERSION = b"SSH-2.0-OpenSSH_9.9 kat"


def det(label, n):
    """n deterministic bytes named by label."""
    return hashlib.shake_256(b"amiko kex kat: " + label.encode()).digest(n)


# ---------------------------------------------------------------------------
# The MODP groups against their defining formulas.

def pi_fixed(bits):
    """floor(pi * 2**bits), by Machin's formula in integers."""
    guard = 64
    one = 1 << (bits + guard)

    def atan_inv(x):
        total, term, n, sign = 0, one // x, 1, 1
        while term:
            total += sign * (term // n)
            term //= x * x
            n += 2
            sign = -sign
        return total

    return (16 * atan_inv(5) - 4 * atan_inv(239)) >> guard


def modp_prime(bits, offset):
    """p = 2^b - 2^(b-64) - 1 + 2^64 * ([2^(b-130) pi] + offset)."""
    return 2**bits - 2**(bits - 64) - 1 + 2**64 * (pi_fixed(bits - 130) + offset)


MODP = {
    1: (1024, 129093),     # RFC 2409 section 6.2 (Oakley group 2)
    14: (2048, 124476),    # RFC 3526 section 3
    15: (3072, 1690314),   # RFC 3526 section 4
    16: (4096, 240904),    # RFC 3526 section 5
    18: (8192, 4743158),   # RFC 3526 section 7
}
for _n, (_bits, _off) in MODP.items():
    assert getattr(asyncssh.kex_dh, "_group%d_p" % _n) == modp_prime(_bits, _off), _n
assert paramiko.kex_group1.KexGroup1.P == asyncssh.kex_dh._group1_p
assert paramiko.kex_group14.KexGroup14.P == asyncssh.kex_dh._group14_p
assert paramiko.kex_group16.KexGroup16SHA512.P == asyncssh.kex_dh._group16_p

# ---------------------------------------------------------------------------
# Fixed randomness, handed out per side.


class Fixed:
    """Queues of fixed private values, one per side of the exchange."""

    def __init__(self):
        self.queues = {"client": [], "server": []}
        self.side = None

    def load(self, client, server):
        self.queues = {"client": list(client), "server": list(server)}

    def take(self):
        q = self.queues[self.side]
        assert q, "library asked %s side for more randomness than fixed" % self.side
        return q.pop(0)

    def done(self):
        assert not self.queues["client"] and not self.queues["server"], self.queues


FIXED = Fixed()


def fixed_x25519():
    return x25519.X25519PrivateKey.from_private_bytes(FIXED.take())


def fixed_ec(curve, backend=None):
    return ec.derive_private_key(FIXED.take(), curve)


def fixed_randrange(lo, hi):
    v = FIXED.take()
    assert lo <= v < hi
    return v


def shim(module, **overrides):
    """A stand-in for module with some attributes replaced."""
    ns = types.SimpleNamespace(**{k: getattr(module, k) for k in dir(module) if not k.startswith("__")})
    for k, v in overrides.items():
        setattr(ns, k, v)
    return ns


# asyncssh: its X25519 and ECDH shims and its DH exponent generator.
asyncssh.crypto.ed.x25519 = shim(
    x25519, X25519PrivateKey=shim(x25519.X25519PrivateKey, generate=fixed_x25519))
asyncssh.crypto.ec.ec = shim(ec, generate_private_key=fixed_ec)
asyncssh.kex_dh.randrange = fixed_randrange
# amiko asks for at least 2048 bits; asyncssh's client would ask 1024.
asyncssh.kex_dh.KEX_DH_GEX_MIN_SIZE = 2048

# paramiko: the same for its X25519 and ECDH. Its DH exponent comes from
# _generate_x, which draws 1024 bits and insists on non-zero top bytes, so
# the fixed x (512 bits, like OpenSSH's) is set on the instance instead.
paramiko.kex_curve25519.X25519PrivateKey = shim(x25519.X25519PrivateKey, generate=fixed_x25519)
paramiko.kex_ecdh_nist.ec = shim(ec, generate_private_key=fixed_ec)

# ---------------------------------------------------------------------------
# The host key.

HOST_SEED = det("host key", 32)
_host_priv = ed25519.Ed25519PrivateKey.from_private_bytes(HOST_SEED)
HOST_PEM = _host_priv.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
ASYNC_HOST = asyncssh.load_keypairs([asyncssh.import_private_key(HOST_PEM)])[0]
ASYNC_HOST_PUB = asyncssh.public_key.decode_ssh_public_key(ASYNC_HOST.public_data)
PARAMIKO_HOST = paramiko.Ed25519Key(file_obj=io.StringIO(HOST_PEM.decode()))
assert PARAMIKO_HOST.asbytes() == ASYNC_HOST.public_data


def kexinit(method, cookie_label):
    """A KEXINIT payload offering method (only its bytes matter here)."""
    lists = [
        [method, "ext-info-c"] if "client" in cookie_label else [method],
        ["ssh-ed25519"],
        ["aes128-ctr"], ["aes128-ctr"],
        ["hmac-sha2-256"], ["hmac-sha2-256"],
        ["none"], ["none"],
        [], [],
    ]
    b = bytes([20]) + det(cookie_label, 16)
    for names in lists:
        b += NameList([n.encode() for n in names])
    return b + b"\x00" + b"\x00\x00\x00\x00"


# ---------------------------------------------------------------------------
# Methods: name, asyncssh kind, hash, paramiko class, and the fixed values.

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P384_N = int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
             "581A0DB248B0A77AECEC196ACCC52973", 16)
P521_N = int("1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
             "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16)
# The group orders, checked against OpenSSL through cryptography: n itself
# is refused as a private scalar, n-1 accepted.
for _n, _curve, _bits in ((P256_N, ec.SECP256R1(), 256), (P384_N, ec.SECP384R1(), 384),
                          (P521_N, ec.SECP521R1(), 521)):
    assert _n.bit_length() == _bits
    ec.derive_private_key(_n - 1, _curve)
    try:
        ec.derive_private_key(_n, _curve)
        raise AssertionError("order of %s" % _curve.name)
    except ValueError:
        pass


def scalar_bytes(label, size, top_mask, order):
    """A valid NIST scalar as amiko reads it: size bytes, top byte masked."""
    i = 0
    while True:
        b = bytearray(det("%s %d" % (label, i), size))
        b[0] &= top_mask
        d = int.from_bytes(b, "big")
        if 0 < d < order:
            return bytes(b), d
        i += 1


def x25519_values(method):
    c = det(method + " client x25519", 32)
    s = det(method + " server x25519", 32)
    return c, [c], [s]


def ecdh_values(method, size, top_mask, order, reject_first):
    cb, cd = scalar_bytes(method + " client", size, top_mask, order)
    _, sd = scalar_bytes(method + " server", size, top_mask, order)
    rand = cb
    if reject_first:
        # A candidate at or above the order, which amiko must skip.
        bad = bytearray(b"\xff" * size)
        bad[0] &= top_mask
        assert int.from_bytes(bad, "big") >= order
        rand = bytes(bad) + cb
    return rand, [cd], [sd]


def dh_values(method, reject_first=False):
    # 64 bytes: the 512-bit exponent amiko draws (OpenSSH's size for 256-bit
    # ciphers).
    cb = det(method + " client x", 64)
    sb = det(method + " server y", 64)
    rand = cb
    if reject_first:
        rand = b"\x00" * 63 + b"\x01" + cb  # x = 1 must be skipped
    return rand, [int.from_bytes(cb, "big")], [int.from_bytes(sb, "big")]


class ParamikoGroup18(paramiko.kex_group1.KexGroup1):
    """paramiko 2.12 has no group18; its group1 code does the same with
    the RFC 3526 8192-bit prime, computed above from its formula."""

    name = "diffie-hellman-group18-sha512"
    P = modp_prime(8192, 4743158)
    hash_algo = hashlib.sha512


GEX = (2048, 3072, 8192)  # what amiko's client asks by default

METHODS = [
    # name, kind, paramiko class (or None), value maker
    # paramiko 2.12 registers KexCurve25519 only under the @libssh.org
    # name; the algorithm is the same (RFC 8731), only the name differs.
    ("curve25519-sha256", "ecdh", paramiko.kex_curve25519.KexCurve25519, x25519_values),
    ("curve25519-sha256@libssh.org", "ecdh", paramiko.kex_curve25519.KexCurve25519, x25519_values),
    ("ecdh-sha2-nistp256", "ecdh", paramiko.kex_ecdh_nist.KexNistp256,
     lambda m: ecdh_values(m, 32, 0xFF, P256_N, True)),
    ("ecdh-sha2-nistp384", "ecdh", paramiko.kex_ecdh_nist.KexNistp384,
     lambda m: ecdh_values(m, 48, 0xFF, P384_N, False)),
    ("ecdh-sha2-nistp521", "ecdh", paramiko.kex_ecdh_nist.KexNistp521,
     lambda m: ecdh_values(m, 66, 0x01, P521_N, True)),
    ("diffie-hellman-group1-sha1", "dh", paramiko.kex_group1.KexGroup1, dh_values),
    ("diffie-hellman-group14-sha1", "dh", paramiko.kex_group14.KexGroup14,
     lambda m: dh_values(m, True)),
    ("diffie-hellman-group14-sha256", "dh", paramiko.kex_group14.KexGroup14SHA256, dh_values),
    ("diffie-hellman-group16-sha512", "dh", paramiko.kex_group16.KexGroup16SHA512, dh_values),
    ("diffie-hellman-group18-sha512", "dh", ParamikoGroup18, dh_values),
    ("diffie-hellman-group-exchange-sha1", "gex", paramiko.kex_gex.KexGex, dh_values),
    ("diffie-hellman-group-exchange-sha256", "gex", paramiko.kex_gex.KexGexSHA256, dh_values),
]

# ---------------------------------------------------------------------------
# asyncssh: its kex handlers on a stand-in connection.


class _Logger:
    def __getattr__(self, name):
        return lambda *a, **k: None


class AsyncConn:
    def __init__(self, server, prefix):
        self.server = server
        self.prefix = prefix
        self.logger = _Logger()
        self.sent = []
        self.result = None

    def is_client(self):
        return not self.server

    def is_server(self):
        return self.server

    def send_packet(self, pkttype, *args, handler=None):
        self.sent.append(bytes([pkttype]) + b"".join(args))

    def get_hash_prefix(self):
        return self.prefix

    def get_server_host_key(self):
        return ASYNC_HOST

    def validate_server_host_key(self, data):
        assert data == ASYNC_HOST.public_data
        return ASYNC_HOST_PUB

    def send_newkeys(self, k, h):
        self.result = (k, h)


def async_kex(method, kind, conn):
    if kind == "gex":
        handler, hash_alg, _ = asyncssh.kex._kex_handlers[method.encode()]
        if conn.is_client():
            return handler(method.encode(), conn, hash_alg, GEX[1], GEX[2])
        return handler(method.encode(), conn, hash_alg)
    return asyncssh.kex.get_kex(conn, method.encode())


def run_asyncssh(method, kind, client_vals, server_vals, ic, is_):
    prefix = String(CLIENT_VERSION) + String(SERVER_VERSION) + String(ic) + String(is_)
    cconn, sconn = AsyncConn(False, prefix), AsyncConn(True, prefix)
    FIXED.load(client_vals, server_vals)
    FIXED.side = "client"
    client = async_kex(method, kind, cconn)
    FIXED.side = "server"
    server = async_kex(method, kind, sconn)
    client_msgs, server_msgs = [], []

    def deliver(kex, conn_from, side, out):
        msg = conn_from.sent.pop(0)
        out.append(msg)
        FIXED.side = side
        assert kex.process_packet(msg[0], None, SSHPacket(msg[1:]))

    FIXED.side = "client"
    client.start()
    while cconn.sent:
        deliver(server, cconn, "server", client_msgs)
        if sconn.sent:
            deliver(client, sconn, "client", server_msgs)
    assert not sconn.sent
    FIXED.done()
    k, h = cconn.result
    assert sconn.result == (k, h), "asyncssh client and server disagree"
    keys = {c: client.compute_key(k, h, c.encode(), h, KEY_LEN) for c in "ABCDEF"}
    return client_msgs, server_msgs, MPInt(k), h, keys


# ---------------------------------------------------------------------------
# paramiko: its kex engines on a stand-in transport.


class ModulusPack:
    def __init__(self, g, p):
        self.gp = (g, p)

    def get_modulus(self, lo, n, hi):
        return self.gp


class ParamikoTransport:
    def __init__(self, server, ic, is_, gex_group):
        self.server_mode = server
        if server:
            self.local_version, self.remote_version = SERVER_VERSION.decode(), CLIENT_VERSION.decode()
            self.local_kex_init, self.remote_kex_init = is_, ic
        else:
            self.local_version, self.remote_version = CLIENT_VERSION.decode(), SERVER_VERSION.decode()
            self.local_kex_init, self.remote_kex_init = ic, is_
        self.host_key_type = "ssh-ed25519"
        self.gex_group = gex_group
        self.sent = []
        self.K = self.H = self.session_id = None

    def _send_message(self, m):
        self.sent.append(m.asbytes())

    def _expect_packet(self, *ptypes):
        pass

    def _log(self, *a, **k):
        pass

    def get_server_key(self):
        return PARAMIKO_HOST

    def _get_modulus_pack(self):
        return ModulusPack(*self.gex_group)

    def _set_K_H(self, k, h):
        self.K, self.H = k, h
        if self.session_id is None:
            self.session_id = h

    def _verify_key(self, host_key, sig):
        key = paramiko.Ed25519Key(data=host_key)
        assert key.verify_ssh_sig(self.H, paramiko.Message(sig)), "paramiko: bad signature"

    def _activate_outbound(self):
        pass


def run_paramiko(cls, client_x, server_x, ic, is_, gex_group):
    ct = ParamikoTransport(False, ic, is_, gex_group)
    st = ParamikoTransport(True, ic, is_, gex_group)
    client, server = cls(ct), cls(st)
    ct.kex_engine, st.kex_engine = client, server
    if isinstance(client, paramiko.kex_gex.KexGex):
        client.min_bits, client.preferred_bits, client.max_bits = GEX
    for kex, v in ((client, client_x), (server, server_x)):
        if hasattr(kex, "_generate_x"):
            kex._generate_x = (lambda k, v: lambda: setattr(k, "x", v))(kex, v[0])
    FIXED.load([] if hasattr(client, "_generate_x") else client_x,
               [] if hasattr(server, "_generate_x") else server_x)
    client_msgs, server_msgs = [], []

    def deliver(kex, t_from, side, out):
        msg = t_from.sent.pop(0)
        out.append(msg)
        FIXED.side = side
        m = paramiko.Message(msg)
        ptype = m.get_byte()[0]
        kex.parse_next(ptype, m)

    FIXED.side = "server"
    server.start_kex()
    FIXED.side = "client"
    client.start_kex()
    while ct.sent:
        deliver(server, ct, "server", client_msgs)
        if st.sent:
            deliver(client, st, "client", server_msgs)
    assert not st.sent
    FIXED.done()
    assert (ct.K, ct.H) == (st.K, st.H), "paramiko client and server disagree"
    keys = {c: paramiko.Transport._compute_key(ct, c, KEY_LEN) for c in "ABCDEF"}
    km = paramiko.Message()
    km.add_mpint(ct.K)
    return client_msgs, server_msgs, km.asbytes(), ct.H, keys


# ---------------------------------------------------------------------------


def main():
    vectors = []
    for method, kind, pcls, values in METHODS:
        rand, cvals, svals = values(method)
        ic = kexinit(method, method + " client kexinit")
        is_ = kexinit(method, method + " server kexinit")
        cm, sm, K, H, keys = run_asyncssh(method, kind, cvals, svals, ic, is_)
        confirmed = []
        if pcls is not None:
            gex_group = (asyncssh.kex_dh._group15_g, asyncssh.kex_dh._group15_p)
            got = run_paramiko(pcls, cvals, svals, ic, is_, gex_group)
            assert got == (cm, sm, K, H, keys), "asyncssh and paramiko disagree on " + method
            note = " (KexGroup1 code, RFC 3526 group 18 prime)" if pcls is ParamikoGroup18 else ""
            confirmed.append("paramiko " + paramiko.__version__ + note)
        reply = SSHPacket(sm[-1][1:])
        host_key = reply.get_string()
        if kind in ("dh", "gex"):
            reply.get_mpint()
        else:
            reply.get_string()
        sig = reply.get_string()
        assert ASYNC_HOST_PUB.verify(H, sig)
        v = {
            "method": method,
            "source": "asyncssh " + asyncssh.__version__,
            "confirmed_by": confirmed,
            "client_version": CLIENT_VERSION.decode(),
            "server_version": SERVER_VERSION.decode(),
            "client_kexinit": ic.hex(),
            "server_kexinit": is_.hex(),
            "client_rand": rand.hex(),
            "client_messages": [m.hex() for m in cm],
            "server_messages": [m.hex() for m in sm],
            "host_key": host_key.hex(),
            "signature": sig.hex(),
            "K": K.hex(),
            "H": H.hex(),
            "keys": {c: keys[c].hex() for c in "ABCDEF"},
        }
        if kind == "gex":
            v["gex_min"], v["gex_n"], v["gex_max"] = GEX
        vectors.append(v)
        print("%-40s %s%s" % (method, v["source"],
                              " = " + ", ".join(confirmed) if confirmed else ""), file=sys.stderr)
    out = {
        "comment": "Generated by gen_kat.py from asyncssh and paramiko; do not edit. "
                   "client_rand is exactly what the client reads from kexInput.rand. "
                   "K is encoded as hashed; keys are RFC 4253 section 7.2 with session_id = H.",
        "host_key_seed": HOST_SEED.hex(),
        "key_length": KEY_LEN,
        "vectors": vectors,
    }
    with open(os.path.join(HERE, "kat.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
