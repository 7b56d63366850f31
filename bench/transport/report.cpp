// Turns the transport stage's samples into figures: one table per benchmark, each
// figure beside its target (targets are relative to other clients of the same run,
// so they are known only once every client has run), and rows in results.tsv.
//   transport_report SAMPLES_FILE
// SAMPLES_FILE: lines "benchmark \t variant \t metric \t s1,s2,…" (harness.hpp and the
// stage script's wrk and callgrind figures).

#include "results.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using key = std::tuple<std::string, std::string, std::string>;  // benchmark, variant, metric

std::map<key, std::vector<double>> read_samples(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::map<key, std::vector<double>> samples;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string benchmark, variant, metric, values;
    if (!std::getline(fields, benchmark, '\t') || !std::getline(fields, variant, '\t') ||
        !std::getline(fields, metric, '\t') || !std::getline(fields, values))
      throw std::runtime_error("malformed samples line: " + line);
    std::istringstream list(values);
    auto& into = samples[{benchmark, variant, metric}];
    for (std::string value; std::getline(list, value, ',');) into.push_back(std::stod(value));
  }
  return samples;
}

/// A target relative to another figure of the same benchmark: factor × its median,
/// plus (when named) the median of another metric of the same variant.
struct relative_target {
  bench::goal direction;
  double factor;
  std::string peer;  ///< variant compared with, same benchmark and metric
  std::string plus_metric = {};  ///< of the variant with the target, added to the bound
};

/// Issue 14's targets ("The call as one state machine"), each relative to another
/// client of the same run: (benchmark, variant, metric) → relative target.
const std::map<key, relative_target>& targets() {
  static const std::map<key, relative_target> t = {
      {{"https-get", "sdk", "req_per_s"}, {bench::goal::at_least, 1.5, "libcurl-multi"}},
      {{"https-get", "sdk", "instructions_per_req"}, {bench::goal::at_most, 1.25, "beast"}},
      {{"https-get", "sdk", "client_cpu_us_per_req"}, {bench::goal::at_most, 1.3, "beast"}},
      {{"https-post-64k", "sdk", "instructions_per_req"}, {bench::goal::at_most, 1.3, "beast"}},
      // Outside OpenSSL, no more than Beast's plus the decoded model's own strings.
      {{"https-get", "sdk", "mallocs_per_req"}, {bench::goal::at_most, 1.0, "beast", "model_mallocs_per_req"}},
  };
  return t;
}

std::optional<bench::target> target_for(const key& k, const std::map<key, bench::summary>& medians) {
  const auto found = targets().find(k);
  if (found == targets().end()) return std::nullopt;
  const relative_target& t = found->second;
  const auto peer = medians.find({std::get<0>(k), t.peer, std::get<2>(k)});
  if (peer == medians.end()) return std::nullopt;
  double bound = t.factor * peer->second.median;
  char text[64];
  std::snprintf(text, sizeof text, "%s %.3g × %s", t.direction == bench::goal::at_least ? "≥" : "≤", t.factor,
                t.peer.c_str());
  if (!t.plus_metric.empty()) {
    const auto plus = medians.find({std::get<0>(k), std::get<1>(k), t.plus_metric});
    if (plus == medians.end()) return std::nullopt;
    bound += plus->second.median;
    std::snprintf(text, sizeof text, "%s %s + model", t.direction == bench::goal::at_least ? "≥" : "≤", t.peer.c_str());
  }
  return bench::target{t.direction, bound, text};
}

int variant_rank(const std::string& variant) {
  static const std::vector<std::string> order = {"sdk", "beast", "libcurl-multi", "wrk"};
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] == variant) return static_cast<int>(i);
  return static_cast<int>(order.size());
}

int metric_rank(const std::string& metric) {
  static const std::vector<std::string> order = {"req_per_s", "client_cpu_us_per_req", "instructions_per_req",
                                                 "mallocs_per_req", "model_mallocs_per_req"};
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] == metric) return static_cast<int>(i);
  return static_cast<int>(order.size());
}

/// Figures grouped by benchmark, each group ordered by metric then variant.
std::map<std::string, std::vector<bench::figure>> figures(const std::map<key, std::vector<double>>& samples) {
  std::map<key, bench::summary> medians;
  for (const auto& [k, values] : samples) medians[k] = bench::summarize(values);
  std::map<std::string, std::vector<bench::figure>> grouped;
  for (const auto& [k, value] : medians) {
    const auto& [benchmark, variant, metric] = k;
    grouped[benchmark].push_back({benchmark, variant, metric, value, target_for(k, medians)});
  }
  for (auto& [benchmark, list] : grouped) {
    std::stable_sort(list.begin(), list.end(), [](const bench::figure& a, const bench::figure& b) {
      return std::pair(metric_rank(a.metric), variant_rank(a.variant)) <
             std::pair(metric_rank(b.metric), variant_rank(b.variant));
    });
  }
  return grouped;
}

std::string title(const std::string& benchmark) {
  const std::string where = benchmark.ends_with("-emulator") ? "codex-emulator" : "nginx";
  return benchmark + " — 64 concurrent requests over keep-alive TLS 1.3 to " + where +
         " (server on CPU 0, client on CPU 1)";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: transport_report SAMPLES_FILE\n");
    return 2;
  }
  try {
    for (const auto& [benchmark, list] : figures(read_samples(argv[1]))) {
      bench::print_table(title(benchmark), list);
      bench::append_rows(bench::results_path(), list);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "transport_report: %s\n", e.what());
    return 1;
  }
}
