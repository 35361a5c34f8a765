#!/usr/bin/env python3
"""Generates the test vectors of internal/zlib with the C zlib library.

Each vector is one zlib stream cut into "packets" the way an SSH sender
cuts it: compress a packet's plaintext, then flush (Z_PARTIAL_FLUSH like
OpenSSH, or Z_SYNC_FLUSH / Z_FULL_FLUSH), and send what came out.

Written to testdata/vectors/:
  <data>.plain.gz   the plaintext the vectors take their packets from,
                    gzipped (a vector's packets are consecutive pieces of
                    it, starting at offset 0)
  <vector>.bin.gz   the packets, gzipped: for each, a big-endian uint32 plaintext
                    length, a big-endian uint32 compressed length, and the
                    compressed bytes
  manifest.json     the vectors: file, plaintext, and how they were made

and the seed corpus of FuzzInflate to testdata/fuzz/FuzzInflate/.

Run from internal/zlib:  python3 testdata/gen_vectors.py
The output is deterministic for a given zlib version.
"""

import gzip
import json
import os
import random
import struct
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors")


def text_data(n, seed):
    """Text-like bytes: words with a skewed distribution, log-ish lines."""
    rnd = random.Random(seed)
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    vocab = []
    for _ in range(600):
        k = rnd.randint(2, 10)
        vocab.append("".join(rnd.choice(letters[: rnd.randint(8, 26)]) for _ in range(k)))
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    out = []
    size = 0
    while size < n:
        kind = rnd.random()
        if kind < 0.15:
            line = "%04d-%02d-%02d %02d:%02d:%02d host%d sshd[%d]: %s %s from 10.%d.%d.%d port %d\n" % (
                2024, rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23),
                rnd.randint(0, 59), rnd.randint(0, 59), rnd.randint(1, 9),
                rnd.randint(100, 99999), rnd.choice(["Accepted", "Failed", "Disconnected"]),
                rnd.choice(["publickey", "password", "keyboard-interactive"]),
                rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(0, 255),
                rnd.randint(1024, 65535))
        elif kind < 0.25:
            line = "-rw-r--r-- 1 user group %8d %s %2d %02d:%02d %s.%s\n" % (
                rnd.randint(0, 10 ** 7), rnd.choice(["Jan", "Feb", "Mar", "Apr"]),
                rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59),
                rnd.choices(vocab, weights)[0], rnd.choice(["go", "c", "txt", "md"]))
        else:
            words = rnd.choices(vocab, weights, k=rnd.randint(3, 18))
            line = " ".join(words).capitalize() + rnd.choice([".", ".", ",", "?", "!"]) + "\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]


def random_data(n, seed):
    return random.Random(seed).randbytes(n)


def repetitive_data(n, seed):
    """Long runs, short periods and blocks repeated from far back."""
    rnd = random.Random(seed)
    out = bytearray()
    blocks = [rnd.randbytes(rnd.randint(20, 3000)) for _ in range(8)]
    while len(out) < n:
        kind = rnd.random()
        if kind < 0.2:
            out += bytes([rnd.randint(0, 255)]) * rnd.randint(1, 5000)
        elif kind < 0.4:
            period = rnd.randbytes(rnd.randint(2, 7))
            out += period * rnd.randint(1, 800)
        elif kind < 0.7:
            out += rnd.choice(blocks)
        elif kind < 0.9 and len(out) > 100:
            # Copy of something up to ~32 KiB back, so matches reach into
            # earlier packets.
            back = rnd.randint(1, min(len(out), 32768))
            k = rnd.randint(3, 2000)
            start = len(out) - back
            for i in range(k):
                out.append(out[start + i])
        else:
            out += rnd.randbytes(rnd.randint(1, 200))
    return bytes(out[:n])


def sizes_mixed(rnd, total, big=False):
    """Packet sizes: empty, tiny, typical, and (if big) larger than the window."""
    fixed = [0, 1, 0, 2, 3, 1, 0, 5, 17, 100, 0, 1000, 1, 0, 4, 1, 9]
    if big:
        fixed += [33000, 0, 1, 70000]
    out = []
    used = 0
    for s in fixed:
        out.append(s)
        used += s
    while used < total:
        r = rnd.random()
        if r < 0.1:
            s = 0
        elif r < 0.3:
            s = rnd.randint(1, 16)
        elif r < 0.95:
            s = rnd.randint(17, 4000)
        else:
            s = rnd.randint(4000, 40000 if big else 12000)
        out.append(s)
        used += s
    return out


def sizes_tiny(rnd, total):
    return [1] * 2000 + [rnd.randint(0, 3) for _ in range(600)]


def sizes_big(rnd, total):
    return [32768, 65536, 0, 1, 32767, 32769, 40000]


FLUSH = {
    "partial": zlib.Z_PARTIAL_FLUSH,
    "sync": zlib.Z_SYNC_FLUSH,
    "full": zlib.Z_FULL_FLUSH,
}
STRATEGY = {
    "default": zlib.Z_DEFAULT_STRATEGY,
    "filtered": zlib.Z_FILTERED,
    "huffman": zlib.Z_HUFFMAN_ONLY,
    "rle": zlib.Z_RLE,
    "fixed": zlib.Z_FIXED,
}


def write_gz(name, b):
    with open(os.path.join(OUT, name), "wb") as fp:
        with gzip.GzipFile(fileobj=fp, mode="wb", mtime=0, compresslevel=9) as gz:
            gz.write(b)


def make_vector(name, plain, data, sizes, level=6, flush="partial",
                strategy="default", wbits=15, memlevel=8, finish=False):
    c = zlib.compressobj(level, zlib.DEFLATED, wbits, memlevel, STRATEGY[strategy])
    chunks = []
    pos = 0
    for s in sizes:
        if pos >= len(data) and s > 0:
            break
        chunks.append(data[pos:pos + s])
        pos += len(chunks[-1])
    recs = bytearray()
    for i, chunk in enumerate(chunks):
        comp = c.compress(chunk)
        last = finish and i == len(chunks) - 1
        comp += c.flush(zlib.Z_FINISH if last else FLUSH[flush])
        recs += struct.pack(">II", len(chunk), len(comp)) + comp
    npackets = len(chunks)
    write_gz(name + ".bin.gz", recs)
    return {
        "name": name,
        "file": name + ".bin.gz",
        "plain": plain + ".plain.gz",
        "packets": npackets,
        "bytes": pos,
        "level": level,
        "flush": flush,
        "strategy": strategy,
        "wbits": wbits,
        "memlevel": memlevel,
        "finish": finish,
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    datas = {
        "text": text_data(150_000, 1),
        "random": random_data(24_000, 2),
        "repetitive": repetitive_data(220_000, 3),
    }
    for k, v in datas.items():
        write_gz(k + ".plain.gz", v)

    vectors = []
    add = lambda name, plain, sizes, **kw: vectors.append(
        make_vector(name, plain, datas[plain], sizes, **kw))
    rnd = random.Random(42)
    add("text_l6_partial", "text", sizes_mixed(rnd, 150_000, big=True))
    add("text_l1_partial", "text", sizes_mixed(rnd, 30_000), level=1)
    add("text_l9_partial", "text", sizes_mixed(rnd, 30_000), level=9)
    add("text_l6_sync", "text", sizes_mixed(rnd, 30_000), flush="sync")
    add("text_l6_full", "text", sizes_mixed(rnd, 20_000), flush="full")
    add("text_l6_partial_tiny", "text", sizes_tiny(rnd, 0))
    add("text_l1_sync_tiny", "text", sizes_tiny(rnd, 0), level=1, flush="sync")
    add("text_l6_partial_big", "text", sizes_big(rnd, 0))
    add("text_l0_partial", "text", sizes_mixed(rnd, 20_000), level=0)
    add("text_fixed_partial", "text", sizes_mixed(rnd, 20_000), strategy="fixed")
    add("text_huffman_partial", "text", sizes_mixed(rnd, 15_000), strategy="huffman")
    add("text_filtered_l9_partial", "text", sizes_mixed(rnd, 20_000), level=9, strategy="filtered")
    add("text_wbits9_partial", "text", sizes_mixed(rnd, 20_000), wbits=9, memlevel=1)
    add("text_l6_partial_finish", "text", sizes_mixed(rnd, 20_000), finish=True)
    add("random_l6_partial", "random", sizes_mixed(rnd, 24_000))
    add("random_l9_sync", "random", sizes_mixed(rnd, 24_000), level=9, flush="sync")
    add("repetitive_l9_partial", "repetitive", sizes_mixed(rnd, 220_000, big=True), level=9)
    add("repetitive_l1_partial", "repetitive", sizes_mixed(rnd, 100_000), level=1)
    add("repetitive_rle_sync", "repetitive", sizes_mixed(rnd, 60_000), strategy="rle", flush="sync")
    add("repetitive_l6_partial_tiny", "repetitive", sizes_tiny(rnd, 0))
    add("repetitive_l6_partial_finish", "repetitive", sizes_big(rnd, 0), finish=True)

    fuzz_corpus(datas)

    with open(os.path.join(OUT, "manifest.json"), "w") as fp:
        json.dump({"zlib_version": zlib.ZLIB_RUNTIME_VERSION, "vectors": vectors}, fp, indent=1)
        fp.write("\n")


def go_bytes(b):
    return '[]byte("' + "".join("\\x%02x" % c for c in b) + '")'


def fuzz_corpus(datas):
    """Seeds for FuzzInflate(data []byte, seed uint64)."""
    d = os.path.join(os.path.dirname(OUT), "fuzz", "FuzzInflate")
    os.makedirs(d, exist_ok=True)
    text = datas["text"]
    rep = datas["repetitive"]
    rnd = random.Random(7)
    seeds = []

    def stream(data, sizes, level=6, flush="partial", strategy="default",
               wbits=15, finish=False):
        c = zlib.compressobj(level, zlib.DEFLATED, wbits, 8, STRATEGY[strategy])
        out = bytearray()
        pos = 0
        for s in sizes:
            out += c.compress(data[pos:pos + s])
            pos += s
            out += c.flush(FLUSH[flush])
        if finish:
            out += c.flush(zlib.Z_FINISH)
        return bytes(out)

    seeds.append(stream(text, [300, 1, 0, 200, 1000], finish=False))
    seeds.append(stream(text, [2000], level=9, finish=True))
    seeds.append(stream(text, [100, 100, 100], level=1, flush="sync"))
    seeds.append(stream(text, [500, 3], strategy="fixed"))
    seeds.append(stream(text, [400], strategy="huffman", finish=True))
    seeds.append(stream(text, [300, 300], level=0, finish=True))
    seeds.append(stream(rep, [3000, 1000], level=9))
    seeds.append(stream(rep, [2000], strategy="rle", finish=True))
    seeds.append(stream(datas["random"], [200, 50]))
    seeds.append(stream(text, [600], wbits=9, finish=True))
    seeds.append(stream(b"", [0, 0, 0], finish=True))
    seeds.append(b"\x78\x9c")
    seeds.append(b"")
    seeds.append(b"\x78\x9c" + bytes(rnd.randrange(256) for _ in range(64)))
    for i, b in enumerate(seeds):
        with open(os.path.join(d, "seed%02d" % i), "w") as fp:
            fp.write("go test fuzz v1\n%s\nuint64(%d)\n" % (go_bytes(b), rnd.randrange(1 << 32)))


if __name__ == "__main__":
    main()
