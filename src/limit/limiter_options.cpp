#include <codex/limit/limiter_options.hpp>

#include "limit/redis_endpoint.hpp"

#include <openssl/crypto.h>

#include <charconv>
#include <cstdlib>

namespace codex::limit {
namespace {

result<limiter_choice> invalid(std::string message) {
  return error_info{.code = make_error_code(errc::invalid_argument), .message = "limiter URL: " + std::move(message)};
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// Moves a password out of `options.url` into `options.password`; the URL keeps the rest.
void move_password_out(redis_limiter_options& options) {
  auto endpoint = parse_redis_endpoint(options.url);
  if (!endpoint || endpoint->password.empty()) return;
  options.password = std::move(endpoint->password);
  OPENSSL_cleanse(options.url.data(), options.url.size());
  options.url = endpoint->to_string();
}

}  // namespace

redis_limiter_options redis(std::string url) {
  redis_limiter_options options;
  options.url = std::move(url);
  move_password_out(options);
  return options;
}

result<limiter_choice> parse_limiter_url(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text == "local") return limiter_choice{local_limiter_options{}};
  const auto question = text.find('?');
  // Nothing of the text is echoed in an error when it may hold a password.
  const bool may_echo = text.find('@') == std::string_view::npos;
  redis_limiter_options options;
  options.url = std::string(text.substr(0, question));
  auto endpoint = parse_redis_endpoint(options.url);
  if (!endpoint) return invalid(endpoint.error().message);
  move_password_out(options);
  if (question != std::string_view::npos) {
    std::string_view query = text.substr(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos) return invalid(may_echo ? "expected name=value, got '" + std::string(pair) + "'" : "expected name=value in the query");
      const std::string_view name = pair.substr(0, eq), value = pair.substr(eq + 1);
      if (name == "on_down") {
        if (value == "wait") options.when_unavailable = when_redis_unavailable::wait;
        else if (value == "local") options.when_unavailable = when_redis_unavailable::local_fallback;
        else return invalid("on_down is wait or local");
      } else if (name == "share") {
        char* end = nullptr;
        const std::string copy(value);
        const double share = std::strtod(copy.c_str(), &end);
        if (end != copy.c_str() + copy.size() || !(share > 0 && share <= 1)) return invalid("share is a number in (0, 1]");
        options.fallback_share = share;
      } else if (name == "lease") {
        if (!parse_number(value, options.lease) || options.lease < 1 || options.lease > 1000)
          return invalid("lease is a number from 1 to 1000");
      } else if (name == "timeout_ms") {
        unsigned ms = 0;
        if (!parse_number(value, ms) || ms == 0) return invalid("timeout_ms is a positive number");
        options.reply_timeout = std::chrono::milliseconds(ms);
      } else if (name == "ca_file" || name == "cert" || name == "key") {
        if (!endpoint->tls) return invalid(std::string(name) + " is for rediss:// (TLS) URLs");
        if (value.empty()) return invalid(std::string(name) + " needs a path");
        auto& field = name == "ca_file" ? options.tls.ca_file
                      : name == "cert"  ? options.tls.client_certificate_file
                                        : options.tls.client_key_file;
        field = std::string(value);
      } else {
        return invalid(may_echo ? "unknown parameter '" + std::string(name) + "'" : "unknown query parameter");
      }
    }
  }
  return limiter_choice{std::move(options)};
}

}  // namespace codex::limit
