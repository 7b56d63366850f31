#include "emulator/document_store.hpp"

#include "auth/base64.hpp"

#include <algorithm>
#include <charconv>

namespace codex::emulator {

std::string encode_cursor(std::uint64_t sequence) { return auth::base64url_encode("v1:" + std::to_string(sequence)); }

std::optional<std::uint64_t> decode_cursor(std::string_view cursor) {
  const auto raw = auth::base64url_decode(cursor);
  if (!raw || raw->size() < 4 || raw->compare(0, 3, "v1:") != 0) return std::nullopt;
  std::uint64_t seq = 0;
  const char* first = raw->data() + 3;
  const char* last = raw->data() + raw->size();
  const auto r = std::from_chars(first, last, seq);
  if (r.ec != std::errc{} || r.ptr != last) return std::nullopt;
  return seq;
}

void document_store::publish(const document_ptr& doc) {
  by_id_[doc->id] = doc;
  by_project_[doc->project_id][doc->sequence] = doc;
  if (doc->is_public) {
    public_[doc->sequence] = doc;
  } else {
    public_.erase(doc->sequence);
  }
}

void document_store::unpublish(const document& doc) {
  public_.erase(doc.sequence);
  if (auto p = by_project_.find(doc.project_id); p != by_project_.end()) {
    p->second.erase(doc.sequence);
    if (p->second.empty()) by_project_.erase(p);
  }
  by_id_.erase(doc.id);
}

write_result document_store::upsert(std::string_view project_id, const document_input& input, std::string new_id,
                                    std::chrono::system_clock::time_point now, std::size_t max_documents) {
  const std::string id = input.id ? *input.id : std::move(new_id);
  if (const auto it = by_id_.find(id); it != by_id_.end()) {
    if (it->second->project_id != project_id) return {write_status::id_taken, nullptr};
    return patch(project_id, id, input, std::nullopt, now);
  }
  if (by_id_.size() >= max_documents) return {write_status::quota_exceeded, nullptr};
  auto doc = std::make_shared<document>();
  doc->id = id;
  doc->project_id = std::string(project_id);
  input.apply_to(*doc);
  doc->created_at = doc->updated_at = now;
  doc->sequence = next_sequence_++;
  publish(doc);
  return {write_status::created, std::move(doc)};
}

write_result document_store::patch(std::string_view project_id, std::string_view id, const document_input& input,
                                   std::optional<std::uint64_t> if_match, std::chrono::system_clock::time_point now) {
  const auto it = by_id_.find(std::string(id));
  if (it == by_id_.end() || it->second->project_id != project_id) return {write_status::not_found, nullptr};
  if (if_match && *if_match != it->second->version) return {write_status::version_conflict, it->second};
  // Copy on write: readers may still hold the old snapshot.
  auto doc = std::make_shared<document>(*it->second);
  input.apply_to(*doc);
  ++doc->version;
  doc->updated_at = std::max(now, doc->created_at);
  publish(doc);
  return {write_status::updated, std::move(doc)};
}

bool document_store::remove(std::string_view project_id, std::string_view id) {
  const auto it = by_id_.find(std::string(id));
  if (it == by_id_.end() || it->second->project_id != project_id) return false;
  const document_ptr doc = it->second;
  unpublish(*doc);
  return true;
}

document_ptr document_store::find_visible(std::string_view id, std::string_view project_id) const {
  const auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return nullptr;
  const document_ptr& doc = it->second;
  return doc->is_public || (!project_id.empty() && doc->project_id == project_id) ? doc : nullptr;
}

document_page document_store::list(std::string_view project_id, std::uint64_t after, std::size_t limit,
                                   std::optional<std::string_view> tag) const {
  document_page page;
  const ordered* index = &public_;
  if (!project_id.empty()) {
    const auto p = by_project_.find(std::string(project_id));
    if (p == by_project_.end()) return page;
    index = &p->second;
  }
  auto matches = [&](const document& d) {
    return !tag || std::find(d.tags.begin(), d.tags.end(), *tag) != d.tags.end();
  };
  for (auto it = index->upper_bound(after); it != index->end(); ++it) {
    if (!matches(*it->second)) continue;
    if (page.items.size() == limit) {
      // One more match exists: the page is full and a next one is due.
      page.next_after = page.items.back()->sequence;
      break;
    }
    page.items.push_back(it->second);
  }
  return page;
}

void document_store::clear() {
  by_id_.clear();
  by_project_.clear();
  public_.clear();
}

}  // namespace codex::emulator
