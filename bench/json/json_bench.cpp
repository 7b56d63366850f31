// JSON decoding into codex's owning models: a 1,000-document list page and a token
// response, with codex's simdjson decoders against nlohmann/json and Boost.JSON filling
// the same structs. A checksum over every extracted value must agree with the models
// the input was generated from, for all three decoders, on every run: otherwise the
// program fails (exit 1).

#include "models.hpp"
#include "results.hpp"

#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include <codex/net/http_message.hpp>

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

template <class T>
inline void do_not_optimize(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

/// A response body as the transport hands it over: net::body_padding spare bytes.
std::string as_body(const std::string& text) {
  std::string body;
  body.reserve(text.size() + codex::net::body_padding);
  body.assign(text);
  return body;
}

codex::page<codex::document> codex_page(const std::string& body) {
  auto r = codex::json::decode_document_page(body);
  if (!r) throw std::runtime_error("codex: " + r.error().message);
  return std::move(*r);
}

void codex_page_into(const std::string& body, codex::page<codex::document>& page) {
  if (auto r = codex::json::decode_into(body, page); !r) throw std::runtime_error("codex: " + r.error().message);
}

/// The page's documents as the input a batch would send (the same values).
std::vector<codex::document_input> as_inputs(const codex::page<codex::document>& page) {
  std::vector<codex::document_input> items;
  for (const auto& d : page.data)
    items.push_back({.id = d.id, .title = d.title, .body = d.body, .tags = d.tags, .metadata = d.metadata,
                     .is_public = d.is_public});
  return items;
}

std::string codex_encode_batch(const std::vector<codex::document_input>& items) {
  std::string out;
  if (auto ec = codex::json::encode_batch(items, out)) throw std::runtime_error("codex: encode: " + ec.message());
  return out;
}

codex::json::token_response codex_token(const std::string& body) {
  auto r = codex::json::decode_token_response(body);
  if (!r) throw std::runtime_error("codex: " + r.error().message);
  return std::move(*r);
}

struct decoder {
  std::string name;
  std::function<std::uint64_t(const std::string&)> decode_and_sum;  // decode once, checksum
  std::function<void(const std::string&)> decode;                   // decode once, drop
};

/// Runs `once` repeatedly for at least `budget`; returns MB/s of `bytes` per run (10^6 bytes).
double throughput(const std::function<void()>& once, std::size_t bytes, std::chrono::duration<double> budget) {
  std::size_t iterations = 0;
  const auto start = clock_type::now();
  auto now = start;
  do {
    for (int i = 0; i < 4; ++i) once();
    iterations += 4;
    now = clock_type::now();
  } while (now - start < budget);
  const double seconds = std::chrono::duration<double>(now - start).count();
  return static_cast<double>(bytes) * static_cast<double>(iterations) / seconds / 1e6;
}

/// Decodes `body` repeatedly for at least `budget`; returns MB/s of input.
double throughput(const decoder& d, const std::string& body, std::chrono::duration<double> budget) {
  return throughput([&] { d.decode(body); }, body.size(), budget);
}

template <class Model, class Fn>
decoder make_decoder(std::string name, Fn fn) {
  return decoder{std::move(name),
                 [fn](const std::string& body) { return bench_json::checksum(fn(body)); },
                 [fn](const std::string& body) {
                   Model m = fn(body);
                   do_not_optimize(m);
                 }};
}

}  // namespace

int main() try {
  const bool smoke = bench::smoke();
  const int runs = smoke ? 5 : 9;
  const std::chrono::duration<double> budget(smoke ? 0.02 : 0.25);
  // Stage 1 (the structural index) runs the kernel simdjson picks at run time; the
  // On-Demand iteration inlined into the decoders is whatever the SDK's translation
  // units were compiled for (simdjson's "builtin" implementation: the bench is built
  // with the same flags, so it sees the same one).
  const std::string implementation = simdjson::get_active_implementation()->name();
  const std::string builtin = simdjson::builtin_implementation()->name();

  codex::page<codex::document> expected_page;
  codex::json::token_response expected_token;
  const std::string page_body = as_body(bench_json::make_page(1000, expected_page));
  const std::string token_body = as_body(bench_json::make_token_response(expected_token));
  const std::uint64_t page_sum = bench_json::checksum(expected_page);
  const std::uint64_t token_sum = bench_json::checksum(expected_token);

  std::printf("json: simdjson active implementation (run-time, stage 1): %s (%s); builtin (compile-time, the "
              "On-Demand code inlined into codex's decoders): %s\n",
              implementation.c_str(), simdjson::get_active_implementation()->description().c_str(), builtin.c_str());
  std::printf("json: list page %zu bytes, 1000 documents; token response %zu bytes; %d runs, >= %.2f s per decoder per run\n",
              page_body.size(), token_body.size(), runs, budget.count());

  const std::string codex_name = "codex/" + implementation + "/" + builtin;
  // codex into one page object kept from decode to decode (json::decode_into): what a
  // list_all walk pays once its page has reached its size.
  auto reused = std::make_shared<codex::page<codex::document>>();
  const decoder reused_decoder{"codex_reused",
                               [reused](const std::string& body) {
                                 codex_page_into(body, *reused);
                                 return bench_json::checksum(*reused);
                               },
                               [reused](const std::string& body) {
                                 codex_page_into(body, *reused);
                                 do_not_optimize(*reused);
                               }};
  const std::vector<decoder> page_decoders = {
      make_decoder<codex::page<codex::document>>(codex_name, codex_page),
      make_decoder<codex::page<codex::document>>("nlohmann", bench_json::nlohmann_decode_page),
      make_decoder<codex::page<codex::document>>("boost_json", bench_json::boost_decode_page),
      reused_decoder,
  };
  const std::vector<decoder> token_decoders = {
      make_decoder<codex::json::token_response>(codex_name, codex_token),
      make_decoder<codex::json::token_response>("nlohmann", bench_json::nlohmann_decode_token),
      make_decoder<codex::json::token_response>("boost_json", bench_json::boost_decode_token),
  };

  bool agree = true;
  auto verify = [&](const std::vector<decoder>& decoders, const std::string& body, std::uint64_t want, const char* what) {
    for (const auto& d : decoders) {
      const std::uint64_t got = d.decode_and_sum(body);
      if (got != want) {
        std::fprintf(stderr, "json: %s decoded by %s: checksum %016llx, expected %016llx\n", what, d.name.c_str(),
                     static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
        agree = false;
      }
    }
  };
  verify(page_decoders, page_body, page_sum, "list page");
  verify(token_decoders, token_body, token_sum, "token response");
  std::printf("json: checksums — page %016llx, token %016llx: %s\n", static_cast<unsigned long long>(page_sum),
              static_cast<unsigned long long>(token_sum), agree ? "all three decoders agree with the generated models" : "MISMATCH");
  if (!agree) return 1;

  // The floor that any decoder into these owning models pays: building them, i.e. a deep
  // copy of the expected page (every string and vector allocated and filled), in MB/s
  // of the page it stands for. Context for the decoders' figures, not a decoder.
  const decoder model_copy{"model_copy", nullptr, [&](const std::string&) {
                             codex::page<codex::document> copy;
                             for (const auto& d : expected_page.data) copy.data.push_back(d);
                             copy.next_cursor = expected_page.next_cursor;
                             do_not_optimize(copy);
                           }};

  // Encoding the same 1,000 documents as a batch body: codex's writer against the
  // peers serialising the same structs; the three outputs must parse to the same values.
  const std::vector<codex::document_input> items = as_inputs(expected_page);
  const std::string encoded = codex_encode_batch(items);
  if (!bench_json::same_json(encoded, bench_json::nlohmann_encode_batch(items)) ||
      !bench_json::same_json(encoded, bench_json::boost_encode_batch(items))) {
    std::fprintf(stderr, "json: the encoders' batch bodies do not parse to the same values\n");
    return 1;
  }
  std::printf("json: batch body of %zu items, %zu bytes: the three encoders' outputs parse to the same values\n",
              items.size(), encoded.size());
  using encoder = std::function<std::string(const std::vector<codex::document_input>&)>;
  const std::vector<std::pair<std::string, encoder>> encoders = {
      {"codex", codex_encode_batch}, {"nlohmann", bench_json::nlohmann_encode_batch},
      {"boost_json", bench_json::boost_encode_batch}};

  std::vector<std::vector<double>> page_mb(page_decoders.size()), token_mb(3), encode_mb(encoders.size());
  std::vector<double> copy_mb;
  std::vector<double> vs_nlohmann, vs_boost, vs_floor, reused_vs_floor, encode_vs_boost;
  for (int r = 0; r < runs; ++r) {
    for (std::size_t d = 0; d < page_decoders.size(); ++d)
      page_mb[d].push_back(throughput(page_decoders[d], page_body, budget));
    copy_mb.push_back(throughput(model_copy, page_body, budget));
    for (std::size_t d = 0; d < 3; ++d) token_mb[d].push_back(throughput(token_decoders[d], token_body, budget));
    for (std::size_t e = 0; e < encoders.size(); ++e) {
      const auto& encode = encoders[e].second;
      encode_mb[e].push_back(throughput([&] { do_not_optimize(encode(items)); }, encoded.size(), budget));
    }
    vs_nlohmann.push_back(page_mb[0].back() / page_mb[1].back());
    vs_boost.push_back(page_mb[0].back() / page_mb[2].back());
    vs_floor.push_back(page_mb[0].back() / copy_mb.back());
    reused_vs_floor.push_back(page_mb[3].back() / copy_mb.back());
    encode_vs_boost.push_back(encode_mb[0].back() / encode_mb[2].back());
    // Every run re-proves the values (a decoder that got faster by getting wrong fails here).
    verify(page_decoders, page_body, page_sum, "list page");
    verify(token_decoders, token_body, token_sum, "token response");
    if (!agree) return 1;
  }

  // Issue 15's targets, each a ratio within one run.
  std::vector<bench::figure> figures;
  figures.push_back({"json-page", codex_name, "page_mb_per_s", bench::summarize(page_mb[0]), std::nullopt});
  figures.push_back({"json-page", "codex_reused", "page_mb_per_s", bench::summarize(page_mb[3]), std::nullopt});
  figures.push_back({"json-page", "nlohmann", "page_mb_per_s", bench::summarize(page_mb[1]), std::nullopt});
  figures.push_back({"json-page", "boost_json", "page_mb_per_s", bench::summarize(page_mb[2]), std::nullopt});
  figures.push_back({"json-page", "model_copy_floor", "page_mb_per_s", bench::summarize(copy_mb), std::nullopt});
  figures.push_back({"json-page", codex_name, "page_x_copy_floor", bench::summarize(vs_floor),
                     bench::target{bench::goal::at_least, 0.8, "≥ 0.8 × copy floor"}});
  figures.push_back({"json-page", codex_name, "page_x_nlohmann", bench::summarize(vs_nlohmann),
                     bench::target{bench::goal::at_least, 12, "≥ 12 × nlohmann"}});
  figures.push_back({"json-page", codex_name, "page_x_boost_json", bench::summarize(vs_boost),
                     bench::target{bench::goal::at_least, 3, "≥ 3 × Boost.JSON"}});
  figures.push_back({"json-page", "codex_reused", "page_x_copy_floor", bench::summarize(reused_vs_floor),
                     bench::target{bench::goal::at_least, 1, "≥ 1 × copy floor"}});
  for (std::size_t d = 0; d < 3; ++d) {
    figures.push_back({"json-token", token_decoders[d].name, "token_mb_per_s", bench::summarize(token_mb[d]), std::nullopt});
  }
  for (std::size_t e = 0; e < encoders.size(); ++e) {
    figures.push_back({"json-encode", encoders[e].first, "batch_mb_per_s", bench::summarize(encode_mb[e]), std::nullopt});
  }
  figures.push_back({"json-encode", "codex", "batch_x_boost_json", bench::summarize(encode_vs_boost),
                     bench::target{bench::goal::at_least, 2, "≥ 2 × Boost.JSON"}});
  bench::append_rows(bench::results_path(), figures);
  bench::print_table("json — decode into codex's models (fresh and reused) and encode a batch body (MB/s = 10^6 "
                     "bytes of JSON per second; ratios per run)",
                     figures);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "json: %s\n", e.what());
  return 1;
}
