#include <codex/auth/scrubber.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

namespace codex::auth {
namespace {

constexpr std::string_view mask = "***";

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alnum(char c) noexcept { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'z'); }
bool is_letter(char c) noexcept { return lower(c) >= 'a' && lower(c) <= 'z'; }
bool is_word(char c) noexcept { return is_alnum(c) || c == '_'; }
// Characters of a field, header or parameter name.
bool is_name(char c) noexcept { return is_word(c) || c == '-'; }
bool is_base64url(char c) noexcept { return is_alnum(c) || c == '-' || c == '_'; }
bool is_base64(char c) noexcept { return is_alnum(c) || c == '+' || c == '/' || c == '='; }
bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }
bool is_quote(char c) noexcept { return c == '"' || c == '\''; }
// Where an unquoted value ends.
bool ends_value(char c) noexcept {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '"': case '\'': case ',': case ';':
    case '&': case '}': case ']': case ')': case '<': case '>':
      return true;
    default:
      return false;
  }
}

bool iends_with(std::string_view s, std::string_view suffix) noexcept {
  if (suffix.size() > s.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (std::size_t i = 0; i < s.size(); ++i)
    if (lower(s[i]) != suffix[i]) return false;
  return true;
}

constexpr std::array<std::string_view, 9> sensitive_names = {
    "authorization", "api-key", "api_key", "apikey", "emulator-admin",
    "token", "secret", "password", "passwd"};

bool is_sensitive(std::string_view name) noexcept {
  for (auto s : sensitive_names)
    if (iends_with(name, s)) return true;
  return false;
}

std::size_t run_length(std::string_view text, std::size_t from, bool (*accept)(char) noexcept) noexcept {
  std::size_t n = from;
  while (n < text.size() && accept(text[n])) ++n;
  return n - from;
}

// Sensitive names that are also everyday words: in prose ("token: bad signature") they
// are followed by a word, where a credential would be.
bool is_also_a_word(std::string_view name) noexcept {
  auto is = [&](std::string_view word) { return name.size() == word.size() && iends_with(name, word); };
  return is("token") || is("secret");
}

// An everyday word at the start of `text`: 1 to 24 letters, then nothing that could
// carry on a credential (a digit, '_', '-', '+', '/', '=', or a '.' before more of it).
bool starts_with_word(std::string_view text) noexcept {
  const std::size_t n = run_length(text, 0, is_letter);
  if (n == 0 || n > 24) return false;
  if (n == text.size()) return true;
  const char next = text[n];
  if (next == '.') return n + 1 == text.size() || !is_base64url(text[n + 1]);
  return !is_base64(next) && next != '-' && next != '_';
}

// One pass: every place where a credential or a sensitive field starts is found in the
// text as it is, each independently of the others, and the bytes each of them hides are
// marked; then every run of marked bytes becomes one "***". Finding them independently
// is what keeps a credential hidden when it stands inside another one's value (an
// unbalanced quote, a field named in a field): a scanner that skipped what it masked
// lost those ("token: \"x \"client_secret\": \"v\"": found by fuzz/scrubber).
class masking_pass {
 public:
  explicit masking_pass(std::string_view text) : text_(text), hidden_(text.size(), 0) {}

  std::string run() && {
    for (std::size_t at = 0; at < text_.size(); ++at) {
      if (at > 0 && is_name(text_[at - 1])) continue;  // credentials start at word boundaries
      credential(at);
      named_value(at);
    }
    return masked_text();
  }

 private:
  // A bare credential at `at`: hides what follows its public prefix.
  void credential(std::size_t at) {
    const std::string_view rest = text_.substr(at);
    if (rest.substr(0, 3) == "eyJ") {
      // A JWS/JWE: base64url segments joined by dots, at least two segments.
      std::size_t n = 3;
      bool dotted = false;
      while (n < rest.size() && (is_base64url(rest[n]) || rest[n] == '.')) dotted |= rest[n++] == '.';
      if (dotted && n >= 10) hide(at + 3, at + n);
    }
    if (rest.substr(0, 4) == "cdx_") {
      const std::size_t n = run_length(rest, 4, is_alnum);
      if (n >= 8) hide(at + 8, at + 4 + n);  // "cdx_" and 4 more: the key's public prefix
    }
    if (rest.substr(0, 3) == "cs_") {
      const std::size_t n = run_length(rest, 3, is_base64url);
      if (n >= 8) hide(at + 3, at + 3 + n);
    }
    if (rest.substr(0, 4) == "adm_") {  // the emulator's admin token
      const std::size_t n = run_length(rest, 4, is_alnum);
      if (n >= 8) hide(at + 4, at + 4 + n);
    }
    if (rest.substr(0, 5) == "Y2R4X") {  // base64("cdx_"...): a Basic credential
      const std::size_t n = run_length(rest, 0, is_base64);
      if (n >= 20) hide(at, at + n);
    }
  }

  // name [quote] blanks (':' | '=') blanks value, where the name is sensitive: hides the
  // value (inside its quotes when quoted; after its scheme for an Authorization).
  void named_value(std::size_t at) {
    const std::string_view name = text_.substr(at, run_length(text_, at, is_name));
    if (name.empty() || !is_sensitive(name)) return;
    std::size_t p = at + name.size();
    const bool quoted_name = p < text_.size() && is_quote(text_[p]);
    if (quoted_name) ++p;
    p = after_blanks(p);
    if (p >= text_.size() || (text_[p] != ':' && text_[p] != '=')) return;
    const char separator = text_[p];
    p = after_blanks(p + 1);
    // A JSON key or a name=value pair is a field whatever its value; "token: bad" is prose.
    if (!quoted_name && separator == ':' && is_also_a_word(name) && starts_with_word(text_.substr(p))) return;
    const char quote = p < text_.size() && is_quote(text_[p]) ? text_[p++] : 0;
    if (iends_with(name, "authorization")) p = scheme_end(p, quote);
    hide(p, quote ? quoted_end(p, quote) : bare_end(p));
  }

  std::size_t after_blanks(std::size_t p) const noexcept {
    while (p < text_.size() && is_space(text_[p])) ++p;
    return p;
  }

  // After "Bearer ", "Basic " (1 to 20 letters then one blank, followed by something) at
  // `at`; `at` itself when there is no scheme. Letters only: a word with digits is the
  // credential itself ("Authorization: Y2R4X… note" kept a Basic credential as its
  // "scheme": found by fuzz/scrubber).
  std::size_t scheme_end(std::size_t at, char quote) const noexcept {
    const std::size_t word = run_length(text_, at, is_letter);
    const std::size_t after = at + word;
    if (word > 0 && word <= 20 && after + 1 < text_.size() && text_[after] == ' ' && text_[after + 1] != ' ' &&
        (quote ? text_[after + 1] != quote : !ends_value(text_[after + 1])))
      return after + 1;
    return at;
  }

  // The closing quote of a value that starts at `at`, or the end of the text: an
  // unterminated value hides the rest rather than guess where the secret stops.
  std::size_t quoted_end(std::size_t at, char quote) const noexcept {
    std::size_t end = at;
    while (end < text_.size() && text_[end] != quote) end += (text_[end] == '\\' && end + 1 < text_.size()) ? 2 : 1;
    return end;
  }

  std::size_t bare_end(std::size_t at) const noexcept {
    while (at < text_.size() && !ends_value(text_[at])) ++at;
    return at;
  }

  void hide(std::size_t from, std::size_t to) {
    std::fill(hidden_.begin() + static_cast<std::ptrdiff_t>(from), hidden_.begin() + static_cast<std::ptrdiff_t>(to), 1);
  }

  std::string masked_text() const {
    std::string out;
    out.reserve(text_.size());
    for (std::size_t i = 0; i < text_.size();) {
      if (!hidden_[i]) { out += text_[i++]; continue; }
      out += mask;
      while (i < text_.size() && hidden_[i]) ++i;
    }
    return out;
  }

  std::string_view text_;
  std::vector<unsigned char> hidden_;  // 1 where a byte is hidden
};

}  // namespace

// A pass can leave what a second pass would hide: a mask puts a word boundary where the
// text had none, and "***" can close a value where the hidden bytes did not. So passes
// repeat until the text no longer changes, which is what makes scrubbing idempotent.
// Each pass that changes the text hides at least one byte that is not '*' or turns a
// run of '*' into exactly "***", so this ends within a few passes; the bound only guards
// against a mistake in that argument.
std::string scrub(std::string_view text) {
  std::string out = masking_pass(text).run();
  for (int pass = 0; pass < 16; ++pass) {
    std::string again = masking_pass(out).run();
    if (again == out) break;
    out = std::move(again);
  }
  return out;
}

}  // namespace codex::auth
