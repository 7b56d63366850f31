#include "emulator/config.hpp"

#include "emulator/faults.hpp"
#include "emulator/json_input.hpp"

#include <codex/json/writer.hpp>

#include <cmath>

namespace codex::emulator {
namespace {

using simdjson::ondemand::object;
using simdjson::ondemand::value;

// Each reader returns an empty string on success, else what was wrong.
std::string read_count(value v, std::string_view name, std::uint64_t max, std::uint64_t& out) {
  if (v.get_uint64().get(out) || out > max) {
    return std::string(name) + " must be an integer from 0 to " + std::to_string(max);
  }
  return {};
}

std::string read_probability(value v, std::string_view name, double& out) {
  if (v.get_double().get(out) || !(out >= 0.0 && out <= 1.0)) return std::string(name) + " must be in [0, 1]";
  return {};
}

std::string read_millis(value v, std::string_view name, std::chrono::milliseconds& out) {
  std::uint64_t ms = 0;
  if (auto e = read_count(v, name, 3'600'000, ms); !e.empty()) return e;
  out = std::chrono::milliseconds(ms);
  return {};
}

std::string read_rate_limit(value v, rate_limit_options& out) {
  object obj;
  if (v.get_object().get(obj)) return "rate_limit must be an object";
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return "malformed JSON";
    std::string e;
    std::uint64_t n = 0;
    if (key == "limit") {
      e = read_count(field.value(), key, 100'000'000, n);
      if (e.empty() && n == 0) e = "limit must be at least 1";
      out.limit = static_cast<std::uint32_t>(n);
    } else if (key == "burst") {
      e = read_count(field.value(), key, 100'000'000, n);
      out.burst = static_cast<std::uint32_t>(n);
    } else if (key == "window") {
      double seconds = 0;
      if (field.value().get_double().get(seconds) || !(seconds >= 0.001 && seconds <= 86400)) {
        e = "window must be a number of seconds in [0.001, 86400]";
      } else {
        out.window = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
      }
    } else if (key == "mode") {
      std::string_view mode;
      if (field.value().get_string().get(mode) || (mode != "gcra" && mode != "fixed-window")) {
        e = R"(mode must be "gcra" or "fixed-window")";
      } else {
        out.mode = mode == "gcra" ? limiter_mode::gcra : limiter_mode::fixed_window;
      }
    } else {
      e = "unknown rate limit member " + std::string(key);
    }
    if (!e.empty()) return e;
  }
  return {};
}

std::string read_fail_step(value v, std::optional<step_fault>& out) {
  object obj;
  if (v.get_object().get(obj)) return R"(fail_step must be an object {"n": steps, "action": "..."})";
  step_fault fault;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return "malformed JSON";
    if (key == "n") {
      if (auto e = read_count(field.value(), "fail_step.n", 1'000'000'000, fault.n); !e.empty()) return e;
    } else if (key == "action") {
      std::string_view name;
      const auto action = field.value().get_string().get(name) ? std::nullopt : parse_step_action(name);
      if (!action) return R"(fail_step.action must be "close", "reset", "stall" or "truncate")";
      fault.action = *action;
    } else {
      return "unknown fail_step member " + std::string(key);
    }
  }
  out = fault;
  return {};
}

std::string read_faults(value v, fault_options& out) {
  object obj;
  if (v.get_object().get(obj)) return "faults must be an object";
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return "malformed JSON";
    std::string e;
    if (key == "latency_ms") e = read_millis(field.value(), key, out.latency);
    else if (key == "token_delay_ms") e = read_millis(field.value(), key, out.token_delay);
    else if (key == "p500") e = read_probability(field.value(), key, out.p500);
    else if (key == "p503") e = read_probability(field.value(), key, out.p503);
    else if (key == "p_drop") e = read_probability(field.value(), key, out.p_drop);
    else if (key == "p_truncate") e = read_probability(field.value(), key, out.p_truncate);
    else if (key == "fail_step") e = read_fail_step(field.value(), out.fail_step);
    else if (key == "token_fail") {
      if (field.value().get_bool().get(out.token_fail)) e = "token_fail must be a boolean";
    } else {
      e = "unknown fault " + std::string(key);
    }
    if (!e.empty()) return e;
  }
  return {};
}

std::string read_member(std::string_view key, value v, service_options& o) {
  if (key == "token_ttl") {
    std::uint64_t s = 0;
    auto e = read_count(v, key, 86'400 * 365, s);
    if (e.empty() && s == 0) e = "token_ttl must be at least 1";
    o.token_ttl = std::chrono::seconds(s);
    return e;
  }
  if (key == "rate_limit") return read_rate_limit(v, o.rate_limit);
  if (key == "anonymous_rate_limit") return read_rate_limit(v, o.anonymous_rate_limit);
  if (key == "faults") return read_faults(v, o.faults);
  if (key == "max_documents") {
    std::uint64_t n = 0;
    auto e = read_count(v, key, 100'000'000, n);
    o.limits.max_documents = n;
    return e;
  }
  if (key == "retry_after_format") {
    std::string_view f;
    if (v.get_string().get(f) || (f != "seconds" && f != "http-date")) {
      return R"(retry_after_format must be "seconds" or "http-date")";
    }
    o.retry_after = f == "seconds" ? retry_after_format::seconds : retry_after_format::http_date;
    return {};
  }
  return "unknown member " + std::string(key);
}

void write_rate_limit(json::writer& w, const rate_limit_options& r) {
  w.begin_object()
      .key("limit").uint64(r.limit)
      .key("window").number(static_cast<double>(r.window.count()) / 1000.0)
      .key("burst").uint64(r.burst)
      .key("mode").string(r.mode == limiter_mode::gcra ? "gcra" : "fixed-window")
      .end_object();
}

}  // namespace

std::string apply_config_json(service_options& options, std::string& json) {
  service_options updated = options;
  json_body body{json};
  auto root = body.root();
  if (auto* e = std::get_if<api_error>(&root)) return e->message;
  for (auto field : std::get<object>(root)) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return "malformed JSON";
    if (auto e = read_member(key, field.value(), updated); !e.empty()) return e;
  }
  if (auto e = body.finish()) return e->message;
  options = std::move(updated);
  return {};
}

std::string config_to_json(const service_options& o) {
  std::string out;
  json::writer w{out};
  w.begin_object().key("token_ttl").int64(o.token_ttl.count()).key("rate_limit");
  write_rate_limit(w, o.rate_limit);
  w.key("anonymous_rate_limit");
  write_rate_limit(w, o.anonymous_rate_limit);
  w.key("retry_after_format").string(o.retry_after == retry_after_format::seconds ? "seconds" : "http-date")
      .key("max_documents").uint64(o.limits.max_documents)
      .key("faults").begin_object()
      .key("latency_ms").int64(o.faults.latency.count())
      .key("p500").number(o.faults.p500)
      .key("p503").number(o.faults.p503)
      .key("p_drop").number(o.faults.p_drop)
      .key("p_truncate").number(o.faults.p_truncate)
      .key("token_delay_ms").int64(o.faults.token_delay.count())
      .key("token_fail").boolean(o.faults.token_fail)
      .end_object()
      .end_object();
  return out;
}

}  // namespace codex::emulator
