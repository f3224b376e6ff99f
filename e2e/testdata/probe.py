"""Fetch a URL the way a Python program using urllib would.

usage: python3 probe.py URL ADDR [CAFILE]
With CAFILE it trusts that file alone; without, the default SSL context:
whatever the system's OpenSSL trusts. Every host name resolves to ADDR, so a
certificate for any name can be served from a local test server. Exit 0 with
the page on stdout when the certificate is trusted; exit 3 with
"REJECT reason" when certificate verification fails; any other failure is a
traceback and exit 1.
"""
import socket
import ssl
import sys
import urllib.error
import urllib.request

url, addr = sys.argv[1:3]
cafile = sys.argv[3] if len(sys.argv) > 3 else None

real_getaddrinfo = socket.getaddrinfo


def pinned_getaddrinfo(host, port, *args, **kwargs):
    return real_getaddrinfo(addr, port, *args, **kwargs)


socket.getaddrinfo = pinned_getaddrinfo

# With a cafile, create_default_context loads only that file, not the
# system's default roots; without one, OpenSSL's default verify paths (on
# Debian the system bundle and /etc/ssl/certs).
ctx = ssl.create_default_context(cafile=cafile)
opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx)
)
try:
    with opener.open(url, timeout=30) as resp:
        sys.stdout.write(resp.read().decode())
except urllib.error.URLError as e:
    if isinstance(e.reason, ssl.SSLCertVerificationError):
        print("REJECT", e.reason.verify_message or e.reason)
        sys.exit(3)
    raise
except ssl.SSLCertVerificationError as e:
    print("REJECT", e.verify_message or e)
    sys.exit(3)
