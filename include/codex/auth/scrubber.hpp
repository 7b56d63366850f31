#pragma once
// codex::auth::scrub — removes credentials from text on its way to a log, an error
// message or an exception.

#include <string>
#include <string_view>

namespace codex::auth {

/// Returns `text` with every credential replaced by "***":
///  - JWTs ("eyJ…" with at least one '.': kept as "eyJ***");
///  - API keys "cdx_" + 8 or more alphanumerics (kept as their public prefix "cdx_ab12***"),
///    client secrets "cs_…" ("cs_***"), emulator admin tokens "adm_…" ("adm_***"),
///    and Basic credentials of an API key
///    (base64 of "cdx_…", which starts "Y2R4X");
///  - the value after any field, header or parameter whose name ends with
///    authorization, api-key/api_key/apikey, emulator-admin, token, secret or password
///    (case-insensitive), followed by ':' or '=' — quoted JSON strings and bare values
///    alike; an Authorization value keeps its scheme ("Authorization: Bearer ***").
///    Except in prose: after the bare words "token" and "secret" and a ':' (not a JSON
///    key, not name=value), an everyday word — up to 24 letters, no digit or other
///    character a credential is made of — is kept: "token: bad signature" stays as it is,
///    "token: a1b2c3" becomes "token: ***".
/// Credentials are recognised at word boundaries only, so ordinary words that contain
/// "cs_" (such as "docs_v2") are kept. Each credential and each sensitive field is found
/// in the text as given, on its own: one that stands inside another's value (a field
/// named as the value of a field, an unbalanced quote) is hidden all the same, and an
/// unterminated quoted value is hidden to the end of the text. Scrubbing is idempotent.
/// Thread-safe (pure). Errors: only std::bad_alloc.
std::string scrub(std::string_view text);

}  // namespace codex::auth
