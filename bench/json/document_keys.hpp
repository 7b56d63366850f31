#pragma once
// The document field names, classified the way codex's decoder does it (length first),
// so that the peers' fill code is not slowed by a naive chain of comparisons.

#include <string_view>

namespace bench_json {

enum class document_key { id, project_id, title, body, tags, metadata, is_public, version, created_at, updated_at, unknown };

inline document_key classify(std::string_view k) {
  switch (k.size()) {
    case 2: if (k == "id") return document_key::id; break;
    case 4:
      if (k == "body") return document_key::body;
      if (k == "tags") return document_key::tags;
      break;
    case 5: if (k == "title") return document_key::title; break;
    case 6: if (k == "public") return document_key::is_public; break;
    case 7: if (k == "version") return document_key::version; break;
    case 8: if (k == "metadata") return document_key::metadata; break;
    case 10:
      if (k == "project_id") return document_key::project_id;
      if (k == "created_at") return document_key::created_at;
      if (k == "updated_at") return document_key::updated_at;
      break;
    default: break;
  }
  return document_key::unknown;
}

}  // namespace bench_json
