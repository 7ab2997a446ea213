#!/usr/bin/python3
"""An SMTP server with STARTTLS and AUTH for t_email_tls: aiosmtpd (Debian's
python3-aiosmtpd), bound to 127.0.0.1.

  smtp_tls_auth.py PORT OUTDIR [--cert CERT --key KEY] [--user USER
                   --password-file FILE] [--refuse-rcpt PREFIX]
                   [--rcpt-reply REPLY]

With a certificate it offers STARTTLS and refuses everything but EHLO,
STARTTLS and QUIT before it; with a user it offers AUTH PLAIN and LOGIN
(only under TLS when TLS is on), the password read from FILE at each
AUTH, and refuses MAIL FROM until the client has authenticated, as a
submission server does. Each message it accepts is
written to OUTDIR/N.eml, the message exactly as received after one line

  X-Test-Session: tls=yes|no auth=USER|- from=SENDER to=RECIPIENT helo=NAME

and every AUTH attempt is appended to OUTDIR/auth.log as "ok USER" or
"refused USER". With --refuse-rcpt, a recipient whose local part starts
with PREFIX is refused (550 5.1.1) in the words relays use, quoting it in
turn in capitals, its local part alone in another case, and in a
different domain. With --rcpt-reply, every recipient is refused with
REPLY ("554 5.7.1 Relay access denied", {rcpt} standing for the address),
as a relay that will not relay for us answers. Stopped with SIGTERM.
"""
import argparse
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Keep:
    def __init__(self, outdir, refuse=None, reply=None):
        self.outdir = outdir
        self.reply = reply
        self.n = 0
        self.refused = 0
        self.refuse = refuse
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        local, _, domain = address.partition("@")
        if self.reply:
            return self.reply.replace("{rcpt}", address)
        if self.refuse and local.startswith(self.refuse):
            with self.lock:
                k = self.refused
                self.refused += 1
            words = [
                "<%s>: Recipient address rejected: User unknown" % address.upper(),
                "mailbox %s unavailable (%s@%s)" % (local.upper(), local.title(), domain.upper()),
                "user %s unknown; did you mean %s@mail.%s?" % (local, local.upper(), domain),
            ]
            return "550 5.1.1 " + words[k % len(words)]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        user = session.auth_data.login.decode() if session.authenticated else "-"
        head = "X-Test-Session: tls=%s auth=%s from=%s to=%s helo=%s\r\n" % (
            "yes" if session.ssl else "no", user, envelope.mail_from,
            ",".join(envelope.rcpt_tos), session.host_name)
        path = os.path.join(self.outdir, "%d.eml" % n)
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 kept as %d" % n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--user")
    ap.add_argument("--password-file")
    ap.add_argument("--refuse-rcpt")
    ap.add_argument("--rcpt-reply")
    a = ap.parse_args()

    log = os.path.join(a.outdir, "auth.log")

    def password():
        # Read at each AUTH: a password rotated in the file is the one
        # asked for from then on.
        with open(a.password_file, "rb") as f:
            return f.read().strip()

    def authenticator(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and
              data.login.decode() == a.user and data.password == password())
        who = data.login.decode(errors="replace") if isinstance(
            data, LoginPassword) else "?"
        with open(log, "a") as f:
            f.write("%s %s\n" % ("ok" if ok else "refused", who))
        # handled=False: the server answers 535 itself on a failure.
        return AuthResult(success=ok, handled=False, auth_data=data)

    kw = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kw.update(tls_context=ctx, require_starttls=True)
    if a.user:
        kw.update(authenticator=authenticator, auth_required=True,
                  auth_require_tls=bool(a.cert))
    c = Controller(Keep(a.outdir, a.refuse_rcpt, a.rcpt_reply), hostname="127.0.0.1", port=a.port,
                   server_hostname="feegate-test", **kw)
    c.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    c.stop()


if __name__ == "__main__":
    main()
