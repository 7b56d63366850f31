#!/usr/bin/env python3
"""Writes the fixed bodies of the transport benchmark into DIR:
    document.json        the ~300-byte Document that GET /v1/documents/{id} answers
                         (valid per the contract's Document schema: the SDK decodes it)
    document-input.json  the same document as input, for the emulator (`codex put`)
    batch-request.json   a 64 KiB POST /v1/documents/batch body of ITEMS items
    batch-items.jsonl    the same items, one per line (the SDK encodes them itself)
    batch-result.json    the fixed answer: one 201 result per item, so the SDK's
                         decoder sees exactly as many results as items were sent
and prints the document's id.  Compact JSON, fields in the SDK's encoding order, so
that the SDK's encoded batch is byte for byte the body the other clients send.
    fixtures.py DIR"""
import json
import os
import sys

DOCUMENT_BYTES = 300
BATCH_BYTES = 64 * 1024
ITEMS = 64
DOC_ID = "doc_01HF8ZQ3V6W9J4K7M2N5P8R1T4"


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def filler(n):
    """n bytes of plain text (nothing to escape)."""
    return ("fixed text of the transport benchmark " * (n // 38 + 1))[:n]


def padded(make, size):
    """make(body) with its body padded so the encoded whole is exactly `size` bytes."""
    base = len(compact(make("")))
    if base > size:
        sys.exit(f"fixtures.py: {base} bytes before padding, over {size}")
    return make(filler(size - base))


def document(body):
    return {"id": DOC_ID, "project_id": "prj_bench", "title": "Transport bench",
            "body": body, "tags": ["bench", "transport"], "metadata": {"source": "nginx", "n": 3, "ok": True},
            "public": False, "version": 1, "created_at": "2026-11-22T10:00:00Z",
            "updated_at": "2026-11-22T10:00:00Z"}


def item(index, body):
    return {"title": f"batch item {index:04d}", "body": body, "tags": ["bench", "batch"],
            "metadata": {"index": index}, "public": False}


def batch_items():
    """ITEMS items, their bodies sized so the request is BATCH_BYTES bytes."""
    envelope = len(compact({"items": []})) + (ITEMS - 1)  # {"items":[]} and the commas
    share = (BATCH_BYTES - envelope) // ITEMS
    items = [padded(lambda body, i=i: item(i, body), share) for i in range(ITEMS)]
    short = BATCH_BYTES - len(compact({"items": items}))
    items[-1]["body"] += filler(short)
    return items


def main():
    out = sys.argv[1]
    doc = padded(document, DOCUMENT_BYTES)
    items = batch_items()
    result = {"results": [{"index": i, "status": 201, "id": f"doc_batch_{i:04d}"} for i in range(ITEMS)],
              "succeeded": ITEMS, "failed": 0}
    files = {
        "document.json": compact(doc),
        "document-input.json": compact({k: doc[k] for k in ("id", "title", "body", "tags", "metadata", "public")}),
        "batch-request.json": compact({"items": items}),
        "batch-items.jsonl": "".join(compact(i) + "\n" for i in items),
        "batch-result.json": compact(result),
    }
    for name, text in files.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
    assert len(files["batch-request.json"].encode()) == BATCH_BYTES
    print(DOC_ID)


main()
