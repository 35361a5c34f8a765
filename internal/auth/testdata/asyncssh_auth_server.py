"""An asyncssh server for amiko's authentication tests (internal/auth).

Usage: python3 -W ignore asyncssh_auth_server.py CONFIG.json

It binds 127.0.0.1 at an ephemeral port, prints the port on the first
line of standard output, and logs to standard error. Unlike the
harness's server (internal/sshtest), it does what only asyncssh offers
among the test peers:

- password expiry: with "expired", the right password is answered with
  SSH_MSG_USERAUTH_PASSWD_CHANGEREQ; a new password shorter than 8
  characters is refused with another CHANGEREQ; an accepted one replaces
  the password for later connections.
- keyboard-interactive in three rounds: the password; an instruction with
  no prompts; a code (echoed) and a PIN (not echoed).
- a banner, sent when authentication begins.
"""

import asyncio
import json
import logging
import sys
import warnings

warnings.filterwarnings("ignore")

import asyncssh  # noqa: E402


class Server(asyncssh.SSHServer):
    def __init__(self, cfg):
        self.cfg = cfg
        self.stage = 0

    def connection_made(self, conn):
        self.conn = conn

    def begin_auth(self, username):
        if self.cfg.get("banner"):
            self.conn.send_auth_banner(self.cfg["banner"])
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        if username != self.cfg["user"] or password != self.cfg["password"]:
            return False
        if self.cfg.get("expired"):
            raise asyncssh.PasswordChangeRequired(
                "Your password has expired. Choose a new one.")
        return True

    def change_password(self, username, old_password, new_password):
        logging.info("password change for %s", username)
        if username != self.cfg["user"] or old_password != self.cfg["password"]:
            return False
        if len(new_password) < 8:
            raise asyncssh.PasswordChangeRequired(
                "Too short: at least 8 characters.")
        self.cfg["password"] = new_password
        self.cfg["expired"] = False
        return True

    def kbdint_auth_supported(self):
        return True

    def get_kbdint_challenge(self, username, lang, submethods):
        self.stage = 1
        return ("Login", "Answer the questions.", "",
                [("Password: ", False)])

    def validate_kbdint_response(self, username, responses):
        logging.info("kbdint stage %d: %d responses", self.stage,
                     len(responses))
        if self.stage == 1 and username == self.cfg["user"] and \
                list(responses) == [self.cfg["password"]]:
            self.stage = 2
            return ("", "Password accepted. Nothing to type here.", "", [])
        if self.stage == 2 and list(responses) == []:
            self.stage = 3
            return ("Second factor", "", "",
                    [("Code: ", True), ("PIN: ", False)])
        if self.stage == 3 and list(responses) == ["123456", "0000"]:
            return True
        return False


async def main():
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG,
        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncssh.set_log_level(logging.DEBUG)
    asyncssh.set_debug_level(2)
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    server = await asyncssh.create_server(
        lambda: Server(cfg), "127.0.0.1", 0,
        server_host_keys=[cfg["host_key"]],
        process_factory=lambda process: process.exit(0))
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
