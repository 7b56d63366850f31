#pragma once
// Text from a server or an input file, made safe to print: a document's title or an
// error message must not be able to retitle the window, clear the screen or move the
// cursor of whoever reads the output.

#include <string>
#include <string_view>

namespace codex::cli {

/// `text` with every character a terminal may act on written as an escape: C0 controls
/// (U+0000–U+001F, newline and tab included), DEL and the C1 controls U+0080–U+009F
/// become `\u001b`-style escapes, and a byte that is not part of well-formed UTF-8
/// becomes `\xHH` (it is no character, so no `\u` form would be true). Everything else —
/// printable ASCII and valid UTF-8 — is kept as is; a backslash is kept too, so the
/// result cannot always be told apart from a text that held the escape's characters.
/// For human-readable output, on stdout and stderr alike. Thread-safe (pure).
std::string printable(std::string_view text);

/// A JSON text (one the SDK's json::writer made) with the characters JSON lets through
/// raw inside strings that a terminal would act on — DEL and U+0080–U+009F — written as
/// `\u007f`-style escapes, so the output parses back to the same strings. The writer
/// already escapes C0 controls inside strings; any other C0 byte is escaped too, except
/// tab, newline and carriage return, which a JSON text holds only as whitespace between
/// tokens. A byte that is not UTF-8 (never in a valid JSON text) becomes `\ufffd`.
/// Thread-safe (pure).
std::string printable_json(std::string_view json_text);

}  // namespace codex::cli
