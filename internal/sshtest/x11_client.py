# An X client for X11 forwarding tests, run on the server: it connects to
# $DISPLAY with the MIT-MAGIC-COOKIE-1 that `xauth list $DISPLAY` gives (or
# the hex cookie given as an argument), sends the X11 connection setup
# (least significant byte first, or most with -B), and prints the cookie
# it sent and what the X server answered, up to its end.
import os
import socket
import struct
import subprocess
import sys

args = sys.argv[1:]
order = "<"
if args and args[0] == "-B":
    order, args = ">", args[1:]
display = os.environ.get("DISPLAY", "")
if not display:
    print("no DISPLAY")
    sys.exit(2)
if args:
    cookie = bytes.fromhex(args[0])
else:
    out = subprocess.run(["xauth", "list", display], capture_output=True, text=True).stdout
    fields = out.split()
    if len(fields) < 3 or fields[1] != "MIT-MAGIC-COOKIE-1":
        print("no cookie for %s: %r" % (display, out))
        sys.exit(2)
    cookie = bytes.fromhex(fields[2])
print("cookie:", cookie.hex(), flush=True)

proto = b"MIT-MAGIC-COOKIE-1"


def pad(b):
    return b + b"\0" * (-len(b) % 4)


setup = (b"B" if order == ">" else b"l") + b"\0" + struct.pack(order + "HHHH", 11, 0, len(proto), len(cookie)) + b"\0\0"
setup += pad(proto) + pad(cookie)

host, _, rest = display.rpartition(":")
number = int(rest.split(".")[0])
if host in ("", "unix"):
    s = socket.socket(socket.AF_UNIX)
    s.connect("/tmp/.X11-unix/X%d" % number)
else:
    s = socket.create_connection((host, 6000 + number))
s.sendall(setup)
answer = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    answer += b
print("answer:", answer.decode("latin-1"))
