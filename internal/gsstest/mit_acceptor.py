"""A GSS-API acceptor on MIT's library (python3-gssapi), for the tests of
the pure-Go Kerberos mechanism. It accepts with the keytab in KRB5_KTNAME
and answers commands, one a line on stdin, one reply line on stdout;
binary values are hex ("-" for empty):

  accept TOKEN   -> "token TOKEN complete|continue"  or "error TEXT"
  info           -> "info INITIATOR FLAGS DELEGATED"
  verify MSG MIC -> "ok" or "error TEXT"
  sign MSG       -> "mic MIC"
  deleg PATH     -> stores the delegated credentials in FILE:PATH, gets a
                    ticket for host@127.0.0.1 with them (proving the TGT
                    usable) and answers "deleg KLIST" (klist's output),
                    or "error TEXT"
"""

import subprocess
import sys

import gssapi
import gssapi.raw


def unhex(s):
    return b"" if s == "-" else bytes.fromhex(s)


def tohex(b):
    return b.hex() if b else "-"


def reply(*words):
    sys.stdout.write(" ".join(words) + "\n")
    sys.stdout.flush()


def main():
    creds = gssapi.Credentials(usage="accept")
    ctx = gssapi.SecurityContext(creds=creds, usage="accept")
    for line in sys.stdin:
        cmd, *args = line.split()
        try:
            if cmd == "accept":
                out = ctx.step(unhex(args[0]))
                reply("token", tohex(out), "complete" if ctx.complete else "continue")
            elif cmd == "info":
                flags = ctx.actual_flags
                names = []
                for name, flag in [
                    ("deleg", gssapi.RequirementFlag.delegate_to_peer),
                    ("mutual", gssapi.RequirementFlag.mutual_authentication),
                    ("sequence", gssapi.RequirementFlag.out_of_sequence_detection),
                    ("integrity", gssapi.RequirementFlag.integrity),
                ]:
                    if flag in flags:
                        names.append(name)
                reply("info", str(ctx.initiator_name), ",".join(names) or "-",
                      "yes" if ctx.delegated_creds is not None else "no")
            elif cmd == "verify":
                ctx.verify_signature(unhex(args[0]), unhex(args[1]))
                reply("ok")
            elif cmd == "sign":
                reply("mic", tohex(ctx.get_signature(unhex(args[0]))))
            elif cmd == "deleg":
                deleg = ctx.delegated_creds
                if deleg is None:
                    reply("error", tohex(b"no delegated credentials"))
                    continue
                ccache = "FILE:" + args[0]
                deleg.store(store={"ccache": ccache}, usage="initiate", overwrite=True, set_default=False)
                stored = gssapi.Credentials(usage="initiate", store={"ccache": ccache})
                target = gssapi.Name("host@127.0.0.1", gssapi.NameType.hostbased_service)
                gssapi.SecurityContext(name=target, creds=stored, usage="initiate").step()
                out = subprocess.run(["klist", "-f", "-c", ccache], capture_output=True, check=True).stdout
                reply("deleg", tohex(out))
            else:
                reply("error", tohex(("unknown command " + cmd).encode()))
        except gssapi.raw.misc.GSSError as e:
            reply("error", tohex(str(e).encode()))
        except Exception as e:  # pylint: disable=broad-except
            reply("error", tohex(repr(e).encode()))


if __name__ == "__main__":
    main()
