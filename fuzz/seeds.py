#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/corpus/<target>/seed-*: a handful of good
inputs per target, from which libFuzzer mutates. Run from anywhere:

    python3 fuzz/seeds.py

Files named otherwise in fuzz/corpus/ (crash-*, merged inputs) are left
alone. Tokens are HS256 with the fuzz targets' fixed secret (fuzz/jose.c),
so the protected instance of fuzz_request and fuzz_jwt accept them."""
import base64
import hashlib
import hmac
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = b"fuzzing-secret-of-forty-bytes-0123456789"
ISSUER, AUDIENCE, SCOPE = "https://idp.example/", "health-api", "get.health"
CLIENT_ID = "3f2c1b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(header, claims):
    signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    sig = hmac.new(SECRET, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64(sig)


GOOD = {"iss": ISSUER, "aud": AUDIENCE, "scope": "openid " + SCOPE, "exp": 4102444800}
TOKEN = hs256({"alg": "HS256", "typ": "JWT"}, GOOD)
NO_SCOPE = hs256({"alg": "HS256"}, dict(GOOD, scope="other"))
SCP = hs256({"alg": "HS256", "kid": "k"}, {"iss": ISSUER, "aud": ["x", AUDIENCE], "scp": [SCOPE], "nbf": 0})
NONE = b64(b'{"alg":"none"}') + "." + b64(json.dumps(GOOD).encode()) + "."


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def request(name, mode, text, body=b"", raw=b""):
    """mode: bit 0 protected instance, bits 1-2 peer (see fuzz_request.c).
    text: the head, with \n for CRLF; body gets a Content-Length; raw is
    appended as it is."""
    head = text.replace("\n", "\r\n").encode()
    if body:
        head = head.replace(b"\r\n\r\n", b"\r\nContent-Length: %d\r\n\r\n" % len(body), 1)
    write("fuzz_request", name, bytes([mode]) + head + body + raw)


def requests():
    request("get-health", 0, "GET /health HTTP/1.1\nHost: x\n\n")
    request("get-check-trace", 0,
            "GET /health/disk HTTP/1.1\nHost: x\nAccept: application/json, */*;q=0.1\n"
            "x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\nx-b3-spanid: e457b5a2e4d86bd1\n"
            "x-b3-parentspanid: 05e3ac9a4f6e3b90\nx-b3-sampled: 1\n"
            "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n\n")
    request("bad-b3", 0, "GET /health HTTP/1.1\nHost: x\nx-b3-sampled: yes\n\n")
    request("not-acceptable", 0, "GET /livez HTTP/1.1\nHost: x\nAccept: application/json;q=0, text/html\n\n")
    request("report-tags", 0, "GET /api/v2/health?tag=storage&tag=ready&tag= HTTP/1.1\nHost: x\n\n")
    request("k8s-verbose", 0, "GET /readyz?verbose&exclude=db&exclude=cache HTTP/1.1\nHost: x\n\n")
    request("k8s-name", 6, "GET /livez/heartbeat?verbose=1 HTTP/1.1\nHost: x\n\n")
    request("ext-readiness", 0, "GET /ext/health/readiness?tag=ready HTTP/1.1\nHost: x\n\n")
    request("mosparo-allowed", 0, "GET /api/v1/health/check HTTP/1.1\nHost: x\n\n")
    request("mosparo-refused", 4, "GET /api/v1/health/check HTTP/1.1\nHost: x\n\n")
    request("jsonrpc-post", 0, "POST /ext/health HTTP/1.1\nHost: x\nContent-Type: application/json\n\n",
            b'[{"jsonrpc":"2.0","id":1,"method":"health.health","params":{"tags":["storage"]}},'
            b'{"jsonrpc":"2.0","method":"health.liveness"},{"jsonrpc":"2.0","id":"x","method":"nope"}]')
    chunks = ['{"jsonrpc":"2.0","id":7,"meth', 'od":"health.readiness"}   ']
    request("jsonrpc-chunked", 0,
            "POST /ext/health HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n",
            raw=("".join("%x\r\n%s\r\n" % (len(c), c) for c in chunks) + "0\r\n\r\n").encode())
    request("push", 0, "PUT /health/pushed HTTP/1.1\nHost: x\nContent-Type: application/json\n\n",
            b'{"status": "warn", "output": "half the jobs \\u00e9"}')
    request("push-wrong", 0, "PUT /health/disk HTTP/1.1\nHost: x\n\n", b'{"status": "pass", "x": 1}')
    request("pipelined", 0,
            "GET /health HTTP/1.1\nHost: x\n\nHEAD /health HTTP/1.1\nHost: x\n"
            "If-None-Match: \"x\", *\n\nDELETE /health HTTP/1.1\nHost: x\n\n"
            "GET /nowhere HTTP/1.0\n\n")
    request("http10", 6, "GET /api/v2/health HTTP/1.0\n\n")
    request("protected-anonymous", 1,
            "GET /health HTTP/1.1\nHost: x\nx-client-id: " + CLIENT_ID + "\n\n")
    request("protected-no-client-id", 3, "GET /health HTTP/1.1\nHost: x\n\n")
    request("protected-token", 3,
            "GET /api/v2/health?tag=storage HTTP/1.1\nHost: x\nx-client-id: " + CLIENT_ID +
            "\nAuthorization: Bearer " + TOKEN + "\n\n")
    request("protected-scope", 3,
            "GET /api/v2/health HTTP/1.1\nHost: x\nx-client-id: " + CLIENT_ID +
            "\nAuthorization: Bearer " + NO_SCOPE + "\n\n")
    request("protected-alg-none", 7,
            "GET /api/v1/health/check HTTP/1.1\nHost: x\nx-client-id: " + CLIENT_ID +
            "\nAuthorization: bearer " + NONE + "\n\n")
    request("protected-forwarded", 1,
            "GET /api/v1/health/check HTTP/1.1\nHost: x\nX-Forwarded-For: 192.0.2.9, 10.9.9.9\n"
            "x-client-id: " + CLIENT_ID + "\nAuthorization: Bearer " + SCP + "\n\n")
    request("protected-forwarded-ok", 1,
            "GET /api/v1/health/check HTTP/1.1\nHost: x\nX-Forwarded-For: 10.9.9.9\n"
            "x-client-id: " + CLIENT_ID + "\nAuthorization: Bearer " + SCP + "\n\n")
    request("protected-jsonrpc", 1,
            "POST /ext/health HTTP/1.1\nHost: x\nx-client-id: " + CLIENT_ID +
            "\nX-Forwarded-For: ::1\n\n", b'{"jsonrpc":"2.0","id":null,"method":"health.health"}')
    request("protected-ready", 1,
            "GET /ready/cache?verbose HTTP/1.1\nHost: x\nx-client-id: " + CLIENT_ID + "\n\n")
    request("long-uri", 1, "GET /health?" + "a=b&" * 200 + " HTTP/1.1\nHost: x\n\n")


def jsonrpc():
    write("fuzz_jsonrpc", "one", '{"jsonrpc": "2.0", "id": 1, "method": "health.health"}')
    write("fuzz_jsonrpc", "tags", '{"jsonrpc": "2.0", "id": "a", "method": "health.readiness", '
          '"params": {"tags": ["storage", "application"]}}')
    write("fuzz_jsonrpc", "batch", '[{"jsonrpc": "2.0", "id": 1, "method": "health.liveness"}, '
          '{"jsonrpc": "2.0", "method": "health.health"}, 1, {"jsonrpc": "1.0", "id": 2}, '
          '{"jsonrpc": "2.0", "id": 3.5, "method": "x"}, {"jsonrpc": "2.0", "id": 4, '
          '"method": "health.health", "params": [1]}]')
    write("fuzz_jsonrpc", "notifications", '[{"jsonrpc": "2.0", "method": "health.health"}]')
    write("fuzz_jsonrpc", "parse-error", '{"jsonrpc": "2.0", "id": 1, "method": "health.health"')
    write("fuzz_jsonrpc", "empty-batch", '[]')
    write("fuzz_jsonrpc", "nul", '{"jsonrpc": "2.0", "id": "\\u0000", "method": "health.health", '
          '"params": {"tags": ["a\\u0000b"]}}')


def config():
    for name in ("vitals.yaml", "all-checks.yaml"):
        shutil.copyfile(os.path.join(HERE, "..", "examples", name),
                        os.path.join(HERE, "corpus", "fuzz_config", "seed-" + name))
    write("fuzz_config", "access.yaml", """\
service: {id: x}
listen:
  - "127.0.0.1:${VITALS_FUZZ_PORT}"
  - {address: "[::1]:8443", tls: {cert_file: /nonexistent/cert.pem, key_file: /nonexistent/key.pem}}
access:
  health_allow_list: "10.0.0.0/8, 192.168.1.7, ::1"
  details: when-authorized
  bearer:
    secret_file: /nonexistent/secret
    issuer: "https://idp.example/"
    audience: health-api
    scope: get.health
    leeway: 30s
  client_id_header: x-client-id
  rate_limit: {per_second: 20, burst: 40}
  trusted_proxies: ["127.0.0.1/32"]
endpoints:
  ietf: {path: /health, auth: open}
  report: {path: /api/v2/health, auth: [allow_list], status_codes: {Unhealthy: 503}}
  mosparo: false
  livez: /live
limits: {read_timeout: 10s, max_connections: 1024, max_connections_per_ip: 64, max_header_bytes: 8192}
access_log: true
""")
    write("fuzz_config", "anchors.yaml", """\
defaults: &d {interval: 10s, timeout: 2s}
checks:
  a: &check {type: tcp, address: "localhost:1", <<: *d}
  b: *check
  c: {type: file, path: "$${HOME}/x", max_age: 1h, tags: [ready, "${VITALS_FUZZ_EMPTY}"]}
  c: {type: nope}
  d: {type: group, policy: all, checks: {e: {type: push, ttl: 1m}}}
""")
    write("fuzz_config", "errors.yaml", "checks: [1, 2]\nlisten: 8080\nfoo: bar\n? [a]\n: b\n")
    write("fuzz_config", "http.json", '{"endpoints": {"report": {"status_codes": {"Unhealthy": 503}}, '
          '"mosparo": false}, "access": {"health_allow_list": "::1"}, "limits": {"max_uri_bytes": 100}}')


def perfdata():
    w = lambda n, t: write("fuzz_perfdata", n, t)
    w("load", "OK - load average: 0.12, 0.08, 0.05|load1=0.120;5.000;10.000;0; load5=0.080;5.000;10.000;0; load15=0.050;5.000;10.000;0;\n")
    w("long", "DISK OK | /=2643MB;5948;5958;0;5968\n/boot 68MB (69%)\n/home 69357MB (95%) | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414\n")
    w("quoted", "WARNING - ok | 'time with ''quotes'''=0.39s;@1:5;~:10;0;U 'x y'=U c=12c b=1.5e3B/s\n")
    w("ranges", "CRITICAL|a=1;10:;~:20;-5;+5e-1 b=2;@-1:1;: c=3%;;;0;100 d==1 e=1;2;3;4;5;6\n")
    w("nul", b"status \xff\x01\x00 text | a=1\x00b=2 'un=3\n")


def jwt():
    w = lambda n, t: write("fuzz_jwt", n, t)
    # Verbatim Authorization headers (first byte: verifier, bit 2 clear).
    w("hs256", b"\x00Bearer " + TOKEN.encode())
    w("hs256-scope", b"\x00bearer\t" + NO_SCOPE.encode() + b"  ")
    w("hs256-scp", b"\x00Bearer " + SCP.encode())
    w("alg-none", b"\x01Bearer " + NONE.encode())
    w("basic", b"\x02Basic dXNlcjpwYXNz")
    w("rsa-garbage", b"\x03Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.e30.AAAA")
    # Signed by the target: "HEADER\nCLAIMS" (bit 2 set; bit 3: EC in the JWKS).
    claims = json.dumps(GOOD)
    w("signed-hs256", b"\x04" + b'{"alg":"HS256","typ":"JWT"}\n' + claims.encode())
    w("signed-rs256", b"\x05" + b'{"alg":"RS256"}\n' + claims.encode())
    w("signed-es256", b"\x06" + b'{"alg":"ES256"}\n' + json.dumps(
        {"iss": ISSUER, "aud": [AUDIENCE], "scp": ["a", SCOPE], "exp": 1700000010, "nbf": 1700000020}).encode())
    w("signed-jwks-rsa", b"\x07" + b'{"alg":"RS256","kid":"rsa-1"}\n' + claims.encode())
    w("signed-jwks-ec", b"\x0f" + b'{"alg":"ES256","kid":"ec-1"}\n' + claims.encode())
    w("signed-confusion", b"\x05" + b'{"alg":"HS256"}\n' + claims.encode())
    w("signed-crit", b"\x04" + b'{"alg":"HS256","crit":["exp"]}\n{"iss":"x","exp":"soon"}')


def jwks():
    rsa = {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256",
           "n": b64(b"\xc3" + bytes(range(255)) * 1 + b"\x01"), "e": "AQAB"}
    ec = {"kty": "EC", "kid": "ec-1", "crv": "P-256",
          "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
          "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
    w = lambda n, t: write("fuzz_jwks", n, json.dumps(t) if not isinstance(t, (str, bytes)) else t)
    w("ec", {"keys": [ec]})
    w("mixed", {"keys": [dict(rsa, kid="small"), {"kty": "oct", "k": "AAAA"},
                         dict(ec, use="enc"), dict(ec, key_ops=["verify"], kid="ops")]})
    w("rsa-bad", {"keys": [dict(rsa, n="AA==", e="AQAB")]})
    w("ec-off-curve", {"keys": [dict(ec, y="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]})
    w("not-a-set", '{"keys": {"kty": "RSA"}, "keys": []}')
    w("empty", {"keys": []})


def allowlist():
    w = lambda n, t: write("fuzz_allowlist", n, t)
    w("mixed", "10.0.0.0/8, 192.168.1.7, ::1")
    w("lines", "127.0.0.1\r\n\n  fe80::/10\t,2001:db8::/32,,\r")
    w("mapped", "::ffff:10.0.0.0/104, ::ffff:192.0.2.1, ::/0, 0.0.0.0/0")
    w("bad", "10.0.0.1/8, 10.0.0.0/33")
    w("empty", " , ,\n")
    w("junk", "1.2.3.4/08, \"\\\x01\xff")


# gRPC over HTTP/2 (fuzz_grpc): frames written by hand, headers as HPACK
# literals without indexing or Huffman coding (RFC 7541, 6.2.2).
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2_frame(ftype, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + payload


def hpack_int(n, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if n < limit:
        return bytes([first | n])
    out = [first | limit]
    n -= limit
    while n >= 128:
        out.append(n % 128 + 128)
        n //= 128
    return bytes(out + [n])


def hpack(headers):
    out = b""
    for name, value in headers:
        out += b"\x00" + hpack_int(len(name), 7) + name.encode() + hpack_int(len(value), 7) + value.encode()
    return out


def grpc_message(payload):
    return b"\x00" + len(payload).to_bytes(4, "big") + payload


def grpc_call(stream, method, message, ctype="application/grpc"):
    heads = [(":method", "POST"), (":scheme", "http"), (":path", "/grpc.health.v1.Health/" + method),
             (":authority", "127.0.0.1"), ("content-type", ctype), ("te", "trailers")]
    return (h2_frame(1, 0x4, stream, hpack(heads)) +            # HEADERS, END_HEADERS
            h2_frame(0, 0x1, stream, grpc_message(message)))    # DATA, END_STREAM


def service(name):
    """A HealthCheckRequest: field 1, length-delimited."""
    return (b"\x0a" + bytes([len(name)]) + name.encode()) if name else b""


def grpc():
    w = lambda n, mode, frames: write("fuzz_grpc", n, bytes([mode]) + PREFACE + h2_frame(4, 0, 0, b"") + frames)
    w("check", 0, grpc_call(1, "Check", service("")))
    w("check-names", 1, grpc_call(1, "Check", service("db")) + grpc_call(3, "Check", service("storage")) +
      grpc_call(5, "Check", service("liveness")) + grpc_call(7, "Check", service("nope")))
    w("list", 0, grpc_call(1, "List", b""))
    w("list-details", 1, grpc_call(1, "List", b""))
    w("watch", 2 | 4, grpc_call(1, "Watch", service("readiness")) + grpc_call(3, "Watch", service("gone")))
    w("errors", 1, grpc_call(1, "Nope", b"") + grpc_call(3, "Check", service("x"), "text/plain") +
      grpc_call(5, "Check", b"\xff\xff"))
    w("ping-window-rst", 0, h2_frame(6, 0, 0, b"12345678") + h2_frame(8, 0, 0, (1 << 20).to_bytes(4, "big")) +
      grpc_call(1, "Watch", service("")) + h2_frame(3, 0, 1, (8).to_bytes(4, "big")))
    write("fuzz_grpc", "bad-preface", b"\x00GET / HTTP/1.1\r\nHost: x\r\n\r\n")


if __name__ == "__main__":
    requests()
    jsonrpc()
    os.makedirs(os.path.join(HERE, "corpus", "fuzz_config"), exist_ok=True)
    config()
    perfdata()
    jwt()
    jwks()
    allowlist()
    grpc()
