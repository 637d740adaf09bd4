"""An SMTP server that accepts every message and keeps none: the "SMTP accepted" end of bench/e2e.sh.

Usage: python3 bench/smtp-sink.py PORT (listens on 127.0.0.1). Python's smtpd module (3.11 and older) answers
each command in one write, so it adds about a millisecond per message; the GreenMail catcher of
deploy/local/run.sh answers each command ~40 ms late (a delayed-ACK stall), ~200 ms per message.
"""
import asyncore
import smtpd
import sys


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        return None  # "250 OK": accepted


Sink(("127.0.0.1", int(sys.argv[1])), None, decode_data=False)
print("SMTP SINK READY", flush=True)
asyncore.loop()
