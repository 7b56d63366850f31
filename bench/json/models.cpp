#include "models.hpp"

#include <codex/json/encode.hpp>
#include <codex/json/writer.hpp>

#include <bit>
#include <stdexcept>

namespace bench_json {
namespace {

// splitmix64: a deterministic generator, the same on every machine.
struct rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

constexpr const char* words[] = {"alpha", "beta", "gamma", "café", "naïve", "日本語", "über", "résumé",
                                 "delta", "zeta", "señor", "théâtre", "kappa", "lambda", "Ωmega", "smörgåsbord"};

std::string sentence(rng& r, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += r.below(9) == 0 ? "\n" : " ";
    out += words[r.below(std::size(words))];
    if (r.below(11) == 0) out += " \"quoted\"";
    if (r.below(13) == 0) out += " C:\\path\\to";
  }
  return out;
}

std::string base32_id(rng& r, std::string prefix) {
  static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  for (int i = 0; i < 26; ++i) prefix += alphabet[r.below(32)];
  return prefix;
}

std::string timestamp(std::size_t i) {
  char text[32];
  std::snprintf(text, sizeof text, "2026-11-%02zuT%02zu:%02zu:%02zuZ", 1 + i % 28, i % 24, i % 60, (i * 7) % 60);
  return text;
}

// "é" (U+00E9, C3 A9 in UTF-8) becomes the escape \u00e9 in the text sent.
std::string escape_e_acute(const std::string& json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (static_cast<unsigned char>(json[i]) == 0xC3 && i + 1 < json.size() &&
        static_cast<unsigned char>(json[i + 1]) == 0xA9) {
      out += "\\u00e9";
      ++i;
    } else {
      out += json[i];
    }
  }
  return out;
}

struct fnv {
  std::uint64_t h = 1469598103934665603ull;
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  void u64(std::uint64_t v) { bytes(&v, sizeof v); }
  void str(std::string_view s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
};

void hash(fnv& f, const codex::document& d) {
  f.str(d.id);
  f.str(d.project_id);
  f.str(d.title);
  f.str(d.body);
  f.u64(d.tags.size());
  for (const auto& t : d.tags) f.str(t);
  f.u64(d.metadata.size());
  for (const auto& [key, value] : d.metadata) {
    f.str(key);
    f.u64(value.index());
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) f.u64(v);
          else if constexpr (std::is_same_v<T, std::int64_t>) f.u64(static_cast<std::uint64_t>(v));
          else if constexpr (std::is_same_v<T, double>) f.u64(std::bit_cast<std::uint64_t>(v));
          else if constexpr (std::is_same_v<T, std::string>) f.str(v);
          else if constexpr (std::is_same_v<T, codex::raw_json>) f.str(v.text);
        },
        value);
  }
  f.u64(d.is_public);
  f.u64(static_cast<std::uint64_t>(d.version));
  f.str(d.created_at);
  f.str(d.updated_at);
}

}  // namespace

std::string make_page(std::size_t count, codex::page<codex::document>& expected) {
  rng r{20261122};
  expected.data.clear();
  std::string json;
  codex::json::writer w{json};
  w.begin_object().key("data").begin_array();
  const std::string project = base32_id(r, "prj_");
  for (std::size_t i = 0; i < count; ++i) {
    codex::document d;
    d.id = base32_id(r, "doc_");
    d.project_id = project;
    d.title = "Report " + std::to_string(i) + ": " + sentence(r, 2 + r.below(3));
    d.body = sentence(r, 6 + r.below(12));
    for (std::size_t t = 0, n = 1 + r.below(3); t < n; ++t) d.tags.emplace_back(words[r.below(std::size(words))]);
    // Keys in sorted order: nlohmann::json's default object (std::map) keeps them so.
    d.metadata.emplace_back("k", std::string("v") + std::to_string(i % 7));
    d.metadata.emplace_back("n", static_cast<std::int64_t>(i));
    d.metadata.emplace_back("ok", i % 3 == 0);
    d.metadata.emplace_back("score", static_cast<double>(i % 8) * 0.25 + 0.125);
    d.is_public = i % 10 == 0;
    d.version = 1 + static_cast<std::int64_t>(i % 5);
    d.created_at = timestamp(i);
    d.updated_at = timestamp(i + 1);
    std::string one;
    if (codex::json::encode(d, one)) throw std::runtime_error("encode failed");
    w.raw(one);
    expected.data.push_back(std::move(d));
  }
  expected.next_cursor = "c_" + base32_id(r, "");
  w.end_array().key("next_cursor").string(*expected.next_cursor).end_object();
  if (!w.complete()) throw std::runtime_error("page writer failed");
  return escape_e_acute(json);
}

std::string make_token_response(codex::json::token_response& expected) {
  rng r{3600};
  static constexpr char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto part = [&](std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += b64url[r.below(64)];
    return s;
  };
  expected.access_token = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0." + part(260) + "." + part(342);
  expected.token_type = "Bearer";
  expected.expires_in = 3600;
  expected.scope = "read write";
  std::string json;
  codex::json::writer w{json};
  w.begin_object()
      .key("access_token").string(expected.access_token)
      .key("token_type").string(expected.token_type)
      .key("expires_in").int64(expected.expires_in)
      .key("scope").string(expected.scope)
      .end_object();
  if (!w.complete()) throw std::runtime_error("token writer failed");
  return json;
}

std::uint64_t checksum(const codex::page<codex::document>& page) {
  fnv f;
  f.u64(page.data.size());
  for (const auto& d : page.data) hash(f, d);
  f.u64(page.next_cursor.has_value());
  if (page.next_cursor) f.str(*page.next_cursor);
  return f.h;
}

std::uint64_t checksum(const codex::json::token_response& token) {
  fnv f;
  f.str(token.access_token);
  f.str(token.token_type);
  f.u64(static_cast<std::uint64_t>(token.expires_in));
  f.str(token.scope);
  return f.h;
}

}  // namespace bench_json
