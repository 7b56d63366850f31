#include <codex/net/http_message.hpp>

#include <algorithm>

namespace codex::net {

std::string_view to_string(http_method m) noexcept {
  switch (m) {
    case http_method::get: return "GET";
    case http_method::head: return "HEAD";
    case http_method::post: return "POST";
    case http_method::put: return "PUT";
    case http_method::patch: return "PATCH";
    case http_method::delete_: return "DELETE";
  }
  return "GET";
}

bool is_idempotent(http_method m) noexcept { return m != http_method::post && m != http_method::patch; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
           return lower(static_cast<unsigned char>(x)) == lower(static_cast<unsigned char>(y));
         });
}

bool is_valid_field_name(std::string_view name) noexcept {
  constexpr std::string_view symbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           symbols.find(c) != std::string_view::npos;
  });
}

bool is_valid_field_value(std::string_view value) noexcept {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\t') || byte == 0x7F;
  });
}

void header_list::add(std::string_view name, std::string_view value) {
  const auto name_at = static_cast<std::uint32_t>(text_.size());
  text_.append(name);
  const auto value_at = static_cast<std::uint32_t>(text_.size());
  text_.append(value);
  entries_.push_back({name_at, static_cast<std::uint32_t>(name.size()), value_at, static_cast<std::uint32_t>(value.size())});
}

void header_list::set(std::string_view name, std::string_view value) {
  erase(name);
  add(name, value);
}

void header_list::erase(std::string_view name) {
  std::erase_if(entries_, [&](const entry& e) { return iequals(at(e).first, name); });
}

std::optional<std::string_view> header_list::find(std::string_view name) const noexcept {
  // Looked up a few times a response (Retry-After, the rate limit's fields): the sizes
  // are compared before any view is made.
  for (const auto& e : entries_) {
    if (e.name_size == name.size() && iequals(std::string_view(text_.data() + e.name_at, e.name_size), name))
      return std::string_view(text_.data() + e.value_at, e.value_size);
  }
  return std::nullopt;
}

}  // namespace codex::net
