#pragma once
// Client-side checks of what the contract forbids, run before a request is sent: a
// call that would break a limit fails with a typed error naming the limit, and no
// request leaves the process.
//
// Every function here is pure (no I/O, no state) and thread-safe. Each returns an
// empty result<void> when the input is acceptable, else the first violation found:
//   errc::limit_exceeded   a size or count over the contract's limit; the message
//                          names the field, the size and the limit;
//   errc::invalid_utf8     a string that is not well-formed UTF-8 (the message names it);
//   errc::invalid_argument an empty id, a page size of 0, and the like.
// The checks are those of the contract (document_limits, list_limits); rules a
// server may add on top (e.g. the characters allowed in a client-chosen id) are left
// to the server, which reports them as 422 — per item, inside a batch.

#include <codex/api/document.hpp>
#include <codex/api/list_options.hpp>
#include <codex/result.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace codex {

/// A document to create: title ≤ 512 bytes, body ≤ 1 MiB, ≤ 64 tags, ≤ 64 metadata
/// keys; every string (id, title, body, tags, metadata keys and string values) UTF-8;
/// a client id, when set, not empty.
result<void> validate(const document_input& input);

/// A partial update: the same limits, on the fields that are set.
result<void> validate(const document_patch& patch);

/// A list call: limit, when set, in 1..1000; cursor and tag UTF-8.
result<void> validate(const list_options& options);

/// A document id used in a path: not empty, UTF-8.
result<void> validate_id(std::string_view id);

/// A batch to create, before it is encoded: at most 1000 items, each one valid (the
/// message of a failure begins with "item N: ", N its index in `items`).
result<void> validate_batch(std::span<const document_input> items);

/// The encoded body of a batch: at most document_limits::max_batch_bytes (8 MiB).
result<void> validate_batch_bytes(std::size_t encoded_bytes);

/// The ids of a batch_get: at most 1000 ids, each a valid id (failures name the index).
result<void> validate_batch_ids(std::span<const std::string> ids);

}  // namespace codex
