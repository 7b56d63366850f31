#pragma once
// The `codex` subcommands, each a coroutine that returns its exit code.

#include "cli.hpp"

#include <codex/api/list_options.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codex::cli {

/// whoami: the project, its permission and the credential kind — never the secret.
asio::awaitable<int> whoami(client& api, bool json);

/// token: obtains an access token with the configured client credentials and prints
/// its scope and expiry; the token itself only with `show`.
asio::awaitable<int> token(client& api, bool json, bool show);

/// get ID: one document.
asio::awaitable<int> get(client& api, bool json, std::string id);

/// list: one page, or every page with `all` (followed with next_cursor).
asio::awaitable<int> list(client& api, bool json, list_options options, bool all);

/// put FILE|-: creates a document, or upserts it when it carries an "id".
asio::awaitable<int> put(client& api, bool json, std::string file);

/// delete ID.
asio::awaitable<int> remove(client& api, bool json, std::string id);

/// Options of `codex ingest`.
struct ingest_settings {
  std::string input;        ///< a JSONL file, or "-" for standard input
  std::string rejects;      ///< where rejected lines go (JSONL: the line plus the reason)
  std::string journal;      ///< default: INPUT.journal
  bool resume = false;      ///< skip what the journal (and rejects file) say an earlier run settled
  /// Seeds the stable document ids; default: derived from the input file's absolute
  /// path (none for standard input: a random id, kept in the journal).
  std::string job_id;
  std::size_t batch = 1000;
  std::size_t in_flight = 8;
  /// Seconds one batch keeps trying (the service unreachable, overloaded, rate
  /// limiting) before the job stops with its lines left for --resume.
  double retry_for = 600;
  /// "I/N": this worker takes the lines whose index (from 0) modulo N is I; empty: all.
  /// Positions stay the lines' numbers in the whole file; the default journal is
  /// INPUT.shard-I-of-N.journal, so N workers (any hosts) ingest one file exactly once.
  std::string shard;
};

/// A parsed --shard I/N.
struct shard_spec {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  bool takes(std::uint64_t line_number) const noexcept { return (line_number - 1) % count == index; }
};

/// Parses "I/N" (0 ≤ I < N ≤ 1,000,000). nullopt when malformed.
std::optional<shard_spec> parse_shard(std::string_view text);

/// ingest: streams a JSONL file into batches, with progress and a report.
asio::awaitable<int> ingest(client& api, bool json, ingest_settings settings);

}  // namespace codex::cli
