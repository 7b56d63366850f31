#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target: valid examples of what each one reads
(shapes from the API contract), and a few edge cases beside them.

    fuzz/make_seeds.py OUT_DIR [TARGET ...]

Each target's seeds go to OUT_DIR/TARGET/ (emptied first), one file per seed. Nothing
here is committed as a binary: the seeds are made again on each run.
"""

import base64
import json
import pathlib
import struct
import sys
import zlib

DOC = {"id": "doc_01HF8Z", "project_id": "prj_1", "title": "Hello", "body": "First line\nsecond",
       "tags": ["a", "b"], "metadata": {"k": "v", "n": 3, "ok": True, "f": 1.5, "z": None},
       "public": False, "version": 1,
       "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:00Z"}
DOC_TEXT = json.dumps(DOC)
# Metadata the decoders keep as raw JSON (objects, arrays, integers beyond int64), escapes.
DOC_ODD = ('{"id":"doc_2","project_id":"prj_1","version":9223372036854775807,"created_at":"","updated_at":"",'
           '"\\u0074itle":"\\u00e9\\ud83d\\ude00\\"","metadata":{"big":18446744073709551615,"nested":{"a":[1,{"b":null}]},'
           '"list":[1,2.5,"x"],"neg":-0.0,"exp":1e308,"two":2.0},"unknown":{"x":[1,2,3]},"tags":[]}')


def cut(payload, cuts=(), flags=0):
    """The input of a target that reads in pieces (fuzz/support.hpp's cut())."""
    assert len(cuts) <= 7 and flags < 32
    return bytes([flags << 3 | len(cuts)]) + bytes(cuts) + payload


def http_response():
    doc = DOC_TEXT.encode()
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: req_1\r\nContent-Length: %d\r\n\r\n%s" % (len(doc), doc)
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n")
    limited = (b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nX-RateLimit-Remaining: 0\r\n"
               b"Content-Length: 52\r\n\r\n" + b'{"status":429,"error":"rate_limited","message":"x"}')
    return [
        cut(ok), cut(ok, (1, 20, 17, 3)), cut(ok, (len(ok) - len(doc) - 2, 1, 1)),
        cut(chunked), cut(chunked, (30, 19, 2, 5, 1)),
        cut(limited, (9, 40)),
        cut(b"HTTP/1.1 204 No Content\r\n\r\n"),
        cut(b"HTTP/1.0 200 OK\r\n\r\nbody until close", (10,)),      # close-delimited
        cut(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nrest"),
        cut(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", flags=1),  # a HEAD's response
        cut(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        cut(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000, flags=2),  # over the small limits
        cut(b"HTTP/1.1 200 OK\r\nX-Long: " + b"y" * 400 + b"\r\n\r\n", flags=2),
        cut(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        cut(b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n"),
        cut(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\ntrunc"),          # ends early
        cut(b""),
    ]


def emulator_request():
    body = json.dumps({"title": "hello", "tags": ["a"]}).encode()
    post = (b"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic Y2R4XzE6\r\n"
            b"Idempotency-Key: k1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    get = b"GET /v1/documents/doc_1?x=1 HTTP/1.1\r\nHost: h\r\nX-API-Key: cdx_1\r\n\r\n"
    return [
        cut(get), cut(get + post, (5, 30, 40)), cut(post, (60, 1, 1, 1)),
        cut(b"POST /v1/documents/batch HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"),
        cut(b"PATCH /v1/documents/d HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", (40, 20)),
        cut(b"BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n"),
        cut(b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
        cut(b"GET / HTTP/1.1\r\nX-Big: " + b"z" * 400 + b"\r\n\r\n", flags=1),
        cut(b"POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", flags=1),
        cut(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
        cut(b"GET /\r\n\r\n"),
    ]


def json_seeds(*valid):
    edge = ["", "{}", "[]", "null", "{", '{"data":', '{"a":1} x', "\xef\xbb\xbf{}", '{"x":' * 100 + "1" + "}" * 100]
    return [v if isinstance(v, str) else json.dumps(v) for v in valid] + edge


def json_document():
    return json_seeds(DOC_TEXT, DOC_ODD, dict(DOC, metadata={}, tags=None), {k: DOC[k] for k in ("id", "project_id")},
                      dict(DOC, version="1"), DOC_TEXT + "  \n")


def json_page():
    return json_seeds({"data": [DOC, DOC], "next_cursor": "c_2"}, {"data": [], "next_cursor": None},
                      '{"next_cursor":"c","data":[' + DOC_ODD + "]}", {"data": [DOC], "data2": 1},
                      {"data": [DOC, {"id": 1}]}, {"next_cursor": 5, "data": []})


def json_batch_result():
    return json_seeds({"results": [{"index": 0, "status": 201, "id": "doc_1"},
                                   {"index": 1, "status": 422, "error": {"error": "invalid_field", "message": "title"}}],
                       "succeeded": 1, "failed": 1},
                      {"results": [{"index": -1, "status": 200}]}, {"results": [{"status": 200}]},
                      {"results": [], "succeeded": -5, "failed": 18446744073709551615})


def json_batch_get():
    return json_seeds({"data": [DOC], "missing": ["doc_x", "doc_y"]}, {"data": []}, {"missing": []},
                      '{"data":[' + DOC_ODD + '],"missing":["\\u0000"]}')


def json_account():
    return json_seeds({"project": {"id": "prj_1", "name": "Demo", "permission": "read_write"},
                       "credential": {"type": "api_key", "id": "key_1", "prefix": "cdx_ab12"}, "scopes": ["read", "write"]},
                      {"project": {}, "credential": {}}, {"project": {"id": 1}, "credential": {}})


def json_token():
    return json_seeds({"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln", "token_type": "Bearer",
                       "expires_in": 3600, "scope": "read write"},
                      {"access_token": "a\r\nX-Evil: 1", "expires_in": 1}, {"access_token": "t", "expires_in": 1.5},
                      {"expires_in": -1, "access_token": ""})


def json_error_body():
    return json_seeds({"status": 401, "error": "invalid_token",
                       "message": "The server could not verify that you are authorized to access the URL requested."},
                      {"error": 5, "message": None}, "<html><body>502 Bad Gateway</body></html>",
                      '{"error":"a","message":"b"', {"message": "\u00e9\u4e2d"})


def credentials_file():
    return json_seeds({"base_url": "https://127.0.0.1:8443/v1", "ca_file": "/tmp/state/ca.pem", "admin_token": "adm_1",
                       "project_id": "prj_1", "api_key": "cdx_" + "a" * 40, "read_only_api_key": "cdx_" + "b" * 40,
                       "client_id": "cid_1", "client_secret": "cs_" + "c" * 40},
                      {"base_url": "https://h"}, {"base_url": "https://h", "port": 5}, {"api_key": "x"})


def retry_after():
    return ["120", "1.5", "  30\t", "0", "99999999999999999999", "1.", ".5", "-1",
            "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
            "Thu, 31 Dec 2026 23:59:60 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT",
            "Sat, 29 Feb 2025 00:00:00 GMT", "sun, 06 nov 1994 08:49:37 gmt", "Thursday, 01-Jan-70 00:00:00 GMT",
            "1000\n999\n30.5", "10\n0\n1767225600", "\n\n", ""]


def jwt_token(claims):
    part = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    return ".".join([part(b'{"alg":"RS256","typ":"JWT"}'), part(json.dumps(claims).encode()), part(b"sig")])


def jwt():
    claims = {"iss": "codex", "sub": "cid_1", "aud": "codex", "iat": 1700000000, "exp": 1700003600,
              "scope": "read write", "project": "prj_1"}
    return [jwt_token(claims), jwt_token({"exp": 1.7e9, "scope": ["read", "write"]}), jwt_token({"exp": "soon"}),
            json.dumps(claims), '{"exp":1e300}', '{"scope":[]}', '{"sub":"\\u0000"}', "[" * 70 + "]" * 70,
            "a.b", "a.b.c.d", "..", "eyJ.e30.", ""]


def base64_seeds():
    return ["", "Zg==", "Zm8=", "Zm9v", "Zh==", "Zm9=", "Y2R4XzAxMjM6", "-_-_", "+/+/", "Zg", "Z", "====", "Zg=a",
            base64.b64encode(bytes(range(256))).decode(), base64.urlsafe_b64encode(bytes(range(200))).decode().rstrip("=")]


def url():
    return ["https://api.codex.dev/v1", "https://127.0.0.1:8443/v1/", "https://[::1]:443/api/v1",
            "HTTPS://Example.COM", "https://app.onecodex.com/api/v1//", "http://insecure", "https://user@host/",
            "https://host:0", "https://host:/x", "https://host/a?b", "https://[::1", "https://[fe80::1%25eth0]/",
            "https://h:65536", "https://:1/", "https://a_b", "://", "https://x/%41 b", "https://h/\r\nX: y"]


def frame(kind, payload):
    head = struct.pack("<I", len(payload)) + kind + payload
    return head + struct.pack("<I", zlib.crc32(head))


def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def positions(ranges):
    """A positions payload: (gap from the previous range's end, length) pairs."""
    return varint(len(ranges)) + b"".join(varint(g) + varint(n) for g, n in ranges)


def journal():
    header = frame(b"H", b"CDXJ\x01job-1")
    ack = frame(b"A", positions([(0, 100), (5, 1), (2**40, 3)]))
    reject = frame(b"R", positions([(7, 2)]))
    return [header, header + ack + reject, header + ack + ack[:7], header + ack[:-1] + b"\0",
            header + frame(b"A", positions([(2**64 - 2, 1)])), header + frame(b"A", positions([(0, 0)])),
            header + frame(b"X", b""), frame(b"H", b"CDXJ\x01"), frame(b"A", positions([(0, 1)])),
            header + frame(b"A", positions([(1, 1)]) + b"extra"), b"", b"\xff\xff\xff\xff"]


def scrubber(kinds=10):
    texts = ["GET /v1/documents HTTP/1.1 Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig",
             '{"client_secret": "cs_0011223344556677", "token": "t0k3n", "title": "docs_v2"}',
             "token: bad signature; secret: hunter2", "password=hunter2&user=bob&api_key=cdx_0123456789ab",
             "X-Emulator-Admin: adm_0123456789 and Y2R4XzAxMjM0NTY3ODlhYmNk", "plain text, nothing to hide", ""]
    return [bytes([kind, (37 * kind) % 256]) + text.encode() for kind in range(kinds) for text in texts[kind % len(texts):][:2]]


def redis_reply():
    replies = [b"+OK\r\n", b":42\r\n", b"$5\r\nhello\r\n", b"$-1\r\n", b"*-1\r\n", b"$0\r\n\r\n",
               b"*2\r\n:0\r\n:1733000000000\r\n", b"-NOSCRIPT No matching script. Please use EVAL.\r\n",
               b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", b"*3\r\n$3\r\nfoo\r\n$-1\r\n*0\r\n"]
    stream = b"".join(replies)
    return [cut(r) for r in replies] + [cut(stream), cut(stream, (3, 1, 9, 20, 2)), cut(b":abc\r\n"),
                                        cut(b"$10\r\nshort\r\n"), cut(b"?what\r\n"), cut(b"*2\r\n:1\r\n", (4,))]


def emulator_json():
    item = {"title": "hello", "body": "text", "tags": ["a", "b"],
            "metadata": {"k": "v", "n": 3, "f": 1.5, "big": 18446744073709551615, "ok": True, "z": None}, "public": False}
    return json_seeds(item, dict(item, id="doc_1"), {"items": [item, {"title": 5}, dict(item, id="bad id")]},
                      {"items": [item] * 17}, {"ids": ["doc_1", "doc_2"]}, {"ids": ["x"] * 17}, {"ids": [1]},
                      {"metadata": {"nested": {"a": 1}}}, {"metadata": {"k": 1, "k": 2}},
                      '{"metadata":{"k":1,"k":2,"k":3}}', {"tags": ["x" * 300]}, '{"items":[]} trailing',
                      '{"title":"a"}{"title":"b"}', {"version": 5, "created_at": "x"})


SEEDS = {
    "http_response": http_response, "emulator_request": emulator_request,
    "json_document": json_document, "json_page": json_page, "json_batch_result": json_batch_result,
    "json_batch_get": json_batch_get, "json_account": json_account, "json_token": json_token,
    "json_error_body": json_error_body, "credentials_file": credentials_file, "retry_after": retry_after,
    "jwt": jwt, "base64": base64_seeds, "scrubber": scrubber, "url": url, "journal": journal,
    "redis_reply": redis_reply, "emulator_json": emulator_json,
}


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out = pathlib.Path(argv[1])
    for target in argv[2:] or sorted(SEEDS):
        if target not in SEEDS:
            sys.exit(f"make_seeds: no seeds for target {target!r}")
        directory = out / target
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            old.unlink()
        for i, seed in enumerate(SEEDS[target]()):
            (directory / f"seed-{i:02d}").write_bytes(seed if isinstance(seed, bytes) else seed.encode())


if __name__ == "__main__":
    main(sys.argv)
