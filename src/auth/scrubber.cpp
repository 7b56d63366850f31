#include <codex/auth/scrubber.hpp>

#include <array>
#include <optional>

namespace codex::auth {
namespace {

constexpr std::string_view mask = "***";

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alnum(char c) noexcept { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'z'); }
bool is_word(char c) noexcept { return is_alnum(c) || c == '_'; }
// Characters of a field, header or parameter name.
bool is_name(char c) noexcept { return is_word(c) || c == '-'; }
bool is_base64url(char c) noexcept { return is_alnum(c) || c == '-' || c == '_'; }
bool is_base64(char c) noexcept { return is_alnum(c) || c == '+' || c == '/' || c == '='; }
bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }
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

bool is_letter(char c) noexcept { return lower(c) >= 'a' && lower(c) <= 'z'; }

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

class scrubber {
 public:
  explicit scrubber(std::string_view text) : text_(text) { out_.reserve(text.size()); }

  std::string run() && {
    while (pos_ < text_.size()) {
      // Right after a replaced credential is a boundary too: the output has "***" there,
      // which a second pass would take for one ("Y2R4X…_secret": found by fuzz/scrubber).
      const bool boundary = pos_ == 0 || !is_name(text_[pos_ - 1]) || pos_ == replaced_until_;
      if (boundary && (credential() || named_value())) continue;
      out_ += text_[pos_++];
    }
    return std::move(out_);
  }

 private:
  // A bare credential at pos_: replaced, and true.
  bool credential() {
    const std::string_view rest = text_.substr(pos_);
    if (rest.substr(0, 3) == "eyJ") {
      // A JWS/JWE: base64url segments joined by dots, at least two segments.
      std::size_t n = 3;
      bool dotted = false;
      while (n < rest.size() && (is_base64url(rest[n]) || rest[n] == '.')) dotted |= rest[n++] == '.';
      if (dotted && n >= 10) return replace(n, "eyJ***");
    }
    if (rest.substr(0, 4) == "cdx_") {
      const std::size_t n = run_length(rest, 4, is_alnum);
      if (n >= 8) return replace(4 + n, std::string(rest.substr(0, 8)) + "***");
    }
    if (rest.substr(0, 3) == "cs_") {
      const std::size_t n = run_length(rest, 3, is_base64url);
      if (n >= 8) return replace(3 + n, "cs_***");
    }
    if (rest.substr(0, 4) == "adm_") {  // the emulator's admin token
      const std::size_t n = run_length(rest, 4, is_alnum);
      if (n >= 8) return replace(4 + n, "adm_***");
    }
    if (rest.substr(0, 5) == "Y2R4X") {  // base64("cdx_"...): a Basic credential
      const std::size_t n = run_length(rest, 0, is_base64);
      if (n >= 20) return replace(n, std::string(mask));
    }
    return false;
  }

  // A sensitive name at `at` with its separator: name [quote] blanks (':' | '=') blanks.
  struct field_start {
    std::string_view name;
    bool quoted_name = false;
    char separator = 0;
    std::size_t value_at = 0;  ///< after the separator and its blanks
  };

  std::optional<field_start> sensitive_field(std::size_t at) const {
    field_start f;
    f.name = text_.substr(at, run_length(text_, at, is_name));
    if (f.name.empty() || !is_sensitive(f.name)) return std::nullopt;
    std::size_t p = at + f.name.size();
    f.quoted_name = p < text_.size() && (text_[p] == '"' || text_[p] == '\'');
    if (f.quoted_name) ++p;
    while (p < text_.size() && is_space(text_[p])) ++p;
    if (p >= text_.size() || (text_[p] != ':' && text_[p] != '=')) return std::nullopt;
    f.separator = text_[p++];
    while (p < text_.size() && is_space(text_[p])) ++p;
    f.value_at = p;
    return f;
  }

  // name [quote] blanks (':' | '=') blanks value, where the name is sensitive: the
  // name and separator are copied, the value masked, and true.
  bool named_value() {
    const std::size_t name_len = run_length(text_, pos_, is_name);
    if (name_len == 0) return false;
    const auto field = sensitive_field(pos_);
    if (!field) {
      if (is_sensitive(text_.substr(pos_, name_len))) return false;
      // Skip the whole name, so that its tail is not taken for a credential.
      out_ += text_.substr(pos_, name_len);
      pos_ += name_len;
      return true;
    }
    const std::string_view name = field->name;
    const bool quoted_name = field->quoted_name;
    const char separator = field->separator;
    out_ += text_.substr(pos_, field->value_at - pos_);
    pos_ = field->value_at;
    // A JSON key or a name=value pair is a field whatever its value; "token: bad" is prose.
    const bool prose = !quoted_name && separator == ':' && is_also_a_word(name);
    if (prose && starts_with_word(text_.substr(pos_))) return true;  // the rest is scrubbed as any text
    mask_value(iends_with(name, "authorization"));
    return true;
  }

  // Masks the value at pos_ (quoted or bare), keeping an auth scheme if asked.
  void mask_value(bool keep_scheme) {
    char quote = 0;
    if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
      quote = text_[pos_];
      out_ += text_[pos_++];
      // A quoted sensitive key is no value ("token: \"client_secret\": \"x\""): masking
      // it would leave its own value behind. The main loop masks that one instead.
      if (const auto key = sensitive_field(pos_); key && key->quoted_name) return;
    }
    if (keep_scheme) {
      const std::size_t after = scheme_end(pos_, quote);
      out_ += text_.substr(pos_, after - pos_);
      pos_ = after;
    }
    const std::size_t end = quote ? quoted_end(pos_, quote) : bare_end(pos_, 0);
    if (end > pos_) out_ += mask;
    pos_ = end;  // a closing quote is copied by the main loop
  }

  // After "Bearer ", "Basic " (1 to 20 letters then one blank, followed by something) at
  // `at`; `at` itself when there is no scheme. Letters only: a word with digits is the
  // credential itself ("Authorization: Y2R4X… note" kept a Basic credential as its
  // "scheme": found by fuzz/scrubber).
  std::size_t scheme_end(std::size_t at, char quote) const {
    const std::size_t word = run_length(text_, at, is_letter);
    const std::size_t after = at + word;
    if (word > 0 && word <= 20 && after + 1 < text_.size() && text_[after] == ' ' && text_[after + 1] != ' ' &&
        (quote ? text_[after + 1] != quote : !ends_value(text_[after + 1])))
      return after + 1;
    return at;
  }

  // The closing quote of a value that starts at `at`, or the end of the text.
  std::size_t quoted_end(std::size_t at, char quote) const {
    std::size_t end = at;
    while (end < text_.size() && text_[end] != quote) end += (text_[end] == '\\' && end + 1 < text_.size()) ? 2 : 1;
    return end;
  }

  // Where a bare value that starts at `at` ends. A value that is itself a sensitive
  // field, whose own value follows blanks ("Authorization: Authorization: Bearer x"),
  // ends with that value: ending it at the inner separator would leave the credential
  // behind. (Nesting is followed a few levels, enough for any text that is not an attack
  // on the scrubber itself; past them the rest is plain text.)
  std::size_t bare_end(std::size_t at, int depth) const {
    std::size_t end = at;
    while (end < text_.size() && !ends_value(text_[end])) ++end;
    const auto inner = depth < 8 ? sensitive_field(at) : std::nullopt;
    if (!inner || inner->value_at <= end) return end;
    return field_end(*inner, depth);
  }

  // Where the value of the sensitive field `f` ends: quoted, bare, or itself a field.
  std::size_t field_end(const field_start& f, int depth) const {
    std::size_t value = f.value_at;
    if (value < text_.size() && (text_[value] == '"' || text_[value] == '\'')) {
      // Through the closing quote and on to where a bare value ends, so that the mask
      // is followed by what ends a value and a second pass masks the same span. A
      // sensitive field met on the way ("\"x \"client_secret\": \"v\"") is masked
      // with it, through its own value: stopping at its name would leave that value.
      std::size_t end = quoted_end(value + 1, text_[value]);
      if (end < text_.size()) ++end;
      for (; end < text_.size() && !ends_value(text_[end]); ++end) {
        if (depth >= 8 || !(end == 0 || !is_name(text_[end - 1]))) continue;
        if (const auto next = sensitive_field(end)) return field_end(*next, depth + 1);
      }
      return end;
    }
    if (iends_with(f.name, "authorization")) value = scheme_end(value, 0);
    return bare_end(value, depth + 1);
  }

  bool replace(std::size_t length, std::string_view with) {
    out_ += with;
    pos_ += length;
    replaced_until_ = pos_;
    return true;
  }

  std::string_view text_;
  std::string out_;
  std::size_t pos_ = 0;
  std::size_t replaced_until_ = 0;  // where the last replaced credential ended
};

}  // namespace

std::string scrub(std::string_view text) { return scrubber(text).run(); }

}  // namespace codex::auth
