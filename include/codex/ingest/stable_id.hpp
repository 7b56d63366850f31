#pragma once
// Stable document ids for ingested items that carry none, so that sending an item
// again — after a crash, with a new Idempotency-Key — is an upsert of the same
// document, never a duplicate (the contract: a client `id` makes create an upsert).

#include <cstdint>
#include <string>
#include <string_view>

namespace codex::ingest {

/// "doc_" + the first 24 lower-case hex digits of SHA-256(job_id ‖ position as 8
/// big-endian bytes). The same (job id, position) always gives the same id; distinct
/// positions of a job collide with probability ~n²/2⁹⁷. Pure; thread-safe.
std::string derive_document_id(std::string_view job_id, std::uint64_t position);

/// A job id derived from what identifies the input (e.g. a file's absolute path): the
/// first 32 lower-case hex digits of SHA-256("codex-job:" ‖ identity). The same input
/// gives the same job id, hence the same document ids, even when the journal that
/// held the job id is lost — so a job started again sends upserts, not duplicates.
/// Pure; thread-safe.
std::string derive_job_id(std::string_view identity);

}  // namespace codex::ingest
