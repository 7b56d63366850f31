// The /documents routes.

#include "emulator/json_input.hpp"
#include "emulator/secrets.hpp"
#include "emulator/service_detail.hpp"
#include "emulator/time_format.hpp"

#include <charconv>

namespace codex::emulator {
namespace {

std::string new_document_id(std::chrono::system_clock::time_point now) { return "doc_" + random_ulid(unix_ms(now)); }

std::string document_json(const document& doc) {
  return write_json([&](json::writer& w) { write_document(w, doc); });
}

// If-Match: a version number, optionally quoted as an entity tag ("3", W/"3").
std::optional<std::uint64_t> parse_if_match(std::string_view v) {
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::uint64_t n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || r.ec != std::errc{} || r.ptr != v.data() + v.size()) return std::nullopt;
  return n;
}

api_error write_error(write_status s) {
  switch (s) {
    case write_status::id_taken: return {409, "id_conflict", "The id is used by another project"};
    case write_status::quota_exceeded: return {422, "quota_exceeded", "The emulator holds its maximum number of documents"};
    case write_status::version_conflict: return {409, "version_conflict", "If-Match does not match the current version"};
    default: return {404, "not_found", "No such resource"};
  }
}

// 401 for anonymous writers, 403 for read-only ones; nullopt when the write may go on.
std::optional<response_plan> refuse_write(bool anonymous, bool can_write) {
  if (anonymous) return unauthenticated_plan();
  if (!can_write) return insufficient_scope_plan();
  return std::nullopt;
}

}  // namespace

response_plan service::list_documents(call& c, const caller& who) {
  if (!who.can_read) return insufficient_scope_plan();
  const field_limits& limits = c.options->limits;
  std::size_t limit = limits.list_default;
  if (const auto text = query_param(c.query, "limit")) {
    const auto r = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (text->empty() || r.ec != std::errc{} || r.ptr != text->data() + text->size() || limit < 1 ||
        limit > limits.list_max) {
      return error_plan(400, "invalid_request", "limit must be an integer from 1 to " + std::to_string(limits.list_max));
    }
  }
  std::uint64_t after = 0;
  if (const auto cursor = query_param(c.query, "cursor"); cursor && !cursor->empty()) {
    const auto seq = decode_cursor(*cursor);
    if (!seq) return error_plan(400, "invalid_cursor", "The cursor is not valid");
    after = *seq;
  }
  const auto tag = query_param(c.query, "tag");
  document_page page;
  {
    std::lock_guard lock{mutex_};
    page = documents_.list(who.project_id, after, limit,
                           tag ? std::optional<std::string_view>(*tag) : std::nullopt);
  }
  return json_plan(200, write_json([&](json::writer& w) {
    w.begin_object().key("data").begin_array();
    for (const auto& doc : page.items) write_document(w, *doc);
    w.end_array().key("next_cursor");
    if (page.next_after) {
      w.string(encode_cursor(*page.next_after));
    } else {
      w.null();
    }
    w.end_object();
  }));
}

response_plan service::create_document(call& c, const caller& who) {
  if (auto refused = refuse_write(who.anonymous(), who.can_write)) return *refused;
  auto input = read_document_body(c.request.body, c.options->limits);
  if (auto* e = std::get_if<api_error>(&input)) return error_plan(*e);
  std::string id = new_document_id(c.now);
  write_result result;
  {
    std::lock_guard lock{mutex_};
    result = documents_.upsert(who.project_id, std::get<document_input>(input), std::move(id), c.now,
                               c.options->limits.max_documents);
  }
  if (!result.doc) return error_plan(write_error(result.status));
  return json_plan(result.status == write_status::created ? 201 : 200, document_json(*result.doc));
}

response_plan service::get_document(call& c, const caller& who) {
  if (!who.can_read) return insufficient_scope_plan();
  document_ptr doc;
  {
    std::lock_guard lock{mutex_};
    doc = documents_.find_visible(c.route.param, who.project_id);
  }
  if (!doc) return not_found_plan();
  return json_plan(200, document_json(*doc));
}

// A write to a document that the caller's project does not own: 403 when the caller
// may see it (a public document of another project), else 404, which reveals nothing.
response_plan service::missing_for_write(call& c, const caller& who) {
  std::lock_guard lock{mutex_};
  if (documents_.find_visible(c.route.param, who.project_id)) {
    return error_plan(403, "forbidden", "The document belongs to another project");
  }
  return not_found_plan();
}

response_plan service::patch_document(call& c, const caller& who) {
  if (auto refused = refuse_write(who.anonymous(), who.can_write)) return *refused;
  std::optional<std::uint64_t> if_match;
  if (const auto header = c.request.headers.find("If-Match"); header && *header != "*") {
    if_match = parse_if_match(*header);
    if (!if_match) return error_plan(400, "invalid_request", "If-Match must be a document version");
  }
  auto input = read_document_body(c.request.body, c.options->limits);
  if (auto* e = std::get_if<api_error>(&input)) return error_plan(*e);
  const document_input& patch = std::get<document_input>(input);
  if (patch.id && *patch.id != c.route.param) {
    return error_plan(422, "invalid_field", "id: does not match the document in the path");
  }
  write_result result;
  {
    std::lock_guard lock{mutex_};
    result = documents_.patch(who.project_id, c.route.param, patch, if_match, c.now);
  }
  if (result.status == write_status::not_found) return missing_for_write(c, who);
  if (result.status != write_status::updated) return error_plan(write_error(result.status));
  return json_plan(200, document_json(*result.doc));
}

response_plan service::delete_document(call& c, const caller& who) {
  if (auto refused = refuse_write(who.anonymous(), who.can_write)) return *refused;
  bool removed = false;
  {
    std::lock_guard lock{mutex_};
    removed = documents_.remove(who.project_id, c.route.param);
  }
  if (!removed) return missing_for_write(c, who);
  response_plan plan;
  plan.status = 204;
  return plan;
}

response_plan service::batch_create(call& c, const caller& who) {
  if (auto refused = refuse_write(who.anonymous(), who.can_write)) return *refused;
  const field_limits& limits = c.options->limits;
  if (c.request.body.size() > limits.batch_bytes) {
    return error_plan(413, "payload_too_large", "A batch is at most " + std::to_string(limits.batch_bytes) + " bytes");
  }
  auto parsed = parse_batch_items(c.request.body, limits);
  if (auto* e = std::get_if<api_error>(&parsed)) return error_plan(*e);
  auto& items = std::get<std::vector<std::variant<document_input, api_error>>>(parsed);

  // Ids are drawn before the lock: the critical section only touches the store.
  std::vector<std::string> ids(items.size());
  for (auto& id : ids) id = new_document_id(c.now);
  std::vector<write_result> results(items.size());
  std::uint64_t accepted = 0;
  {
    std::lock_guard lock{mutex_};
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (const auto* in = std::get_if<document_input>(&items[i])) {
        results[i] = documents_.upsert(who.project_id, *in, std::move(ids[i]), c.now, limits.max_documents);
        if (results[i].doc) ++accepted;
      }
    }
    stats_[who.stats_id()].batch_items_accepted += accepted;
  }
  return json_plan(200, write_json([&](json::writer& w) {
    w.begin_object().key("results").begin_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      w.begin_object().key("index").uint64(i);
      const api_error* failure = std::get_if<api_error>(&items[i]);
      api_error store_failure;
      if (!failure && !results[i].doc) {
        store_failure = write_error(results[i].status);
        failure = &store_failure;
      }
      if (failure) {
        w.key("status").int64(failure->status).key("error").begin_object()
            .key("error").string(failure->code).key("message").string(failure->message).end_object();
      } else {
        w.key("status").int64(results[i].status == write_status::created ? 201 : 200)
            .key("id").string(results[i].doc->id);
      }
      w.end_object();
    }
    w.end_array().key("succeeded").uint64(accepted).key("failed").uint64(items.size() - accepted).end_object();
  }));
}

response_plan service::batch_get(call& c, const caller& who) {
  if (!who.can_read) return insufficient_scope_plan();
  auto parsed = parse_batch_ids(c.request.body, c.options->limits.batch_get_ids);
  if (auto* e = std::get_if<api_error>(&parsed)) return error_plan(*e);
  const auto& ids = std::get<std::vector<std::string>>(parsed);
  std::vector<document_ptr> found(ids.size());
  {
    std::lock_guard lock{mutex_};
    for (std::size_t i = 0; i < ids.size(); ++i) found[i] = documents_.find_visible(ids[i], who.project_id);
  }
  return json_plan(200, write_json([&](json::writer& w) {
    w.begin_object().key("data").begin_array();
    for (const auto& doc : found) {
      if (doc) write_document(w, *doc);
    }
    w.end_array().key("missing").begin_array();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!found[i]) w.string(ids[i]);
    }
    w.end_array().end_object();
  }));
}

}  // namespace codex::emulator
