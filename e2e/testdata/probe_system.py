"""Fetch a URL the way a Python program using urllib would, with the default
SSL context: whatever the system's OpenSSL trusts, and nothing else.

usage: python3 probe_system.py URL ADDR
Every host name resolves to ADDR. Exit 0 with the page on stdout when the
certificate is trusted; exit 3 with "REJECT reason" when certificate
verification fails; any other failure is a traceback and exit 1.
"""
import socket
import ssl
import sys
import urllib.error
import urllib.request

url, addr = sys.argv[1:3]

real_getaddrinfo = socket.getaddrinfo


def pinned_getaddrinfo(host, port, *args, **kwargs):
    return real_getaddrinfo(addr, port, *args, **kwargs)


socket.getaddrinfo = pinned_getaddrinfo

# No cafile: the context loads OpenSSL's default verify paths, which on
# Debian are the system bundle and /etc/ssl/certs.
ctx = ssl.create_default_context()
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
