#include "results.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace bench {

summary summarize(std::vector<double> samples) {
  summary s;
  s.runs = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  s.min = samples.front();
  s.max = samples.back();
  return s;
}

void append_rows(const std::string& path, const std::vector<figure>& figures) {
  std::ifstream existing(path);
  const bool needs_header = !existing || existing.peek() == std::ifstream::traits_type::eof();
  existing.close();
  std::ofstream out(path, std::ios::app);
  if (!out) throw std::runtime_error("cannot write " + path);
  if (needs_header) out << "benchmark\tvariant\tmetric\tmedian\tmin\tmax\truns\n";
  char line[512];
  for (const auto& f : figures) {
    std::snprintf(line, sizeof line, "%s\t%s\t%s\t%.6g\t%.6g\t%.6g\t%zu\n", f.benchmark.c_str(), f.variant.c_str(),
                  f.metric.c_str(), f.value.median, f.value.min, f.value.max, f.value.runs);
    out << line;
  }
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

namespace {

std::string target_text(const target& t) {
  if (!t.text.empty()) return t.text;
  const char* sign = t.direction == goal::at_least ? "≥ " : t.direction == goal::at_most ? "≤ " : "= ";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s%.4g", sign, t.value);
  return buffer;
}

bool met(const target& t, double value) {
  switch (t.direction) {
    case goal::at_least: return value >= t.value;
    case goal::at_most: return value <= t.value;
    case goal::exactly: return value == t.value;
  }
  return false;
}

}  // namespace

void print_table(const std::string& title, const std::vector<figure>& figures) {
  std::printf("\n%s\n", title.c_str());
  std::printf("  %-22s %-24s %12s %25s %4s  %-22s %7s %s\n", "variant", "metric", "median", "min – max", "runs",
              "target", "ratio", "");
  for (const auto& f : figures) {
    char range[64];
    std::snprintf(range, sizeof range, "%.4g – %.4g", f.value.min, f.value.max);
    std::string goal_column, ratio_column, verdict;
    if (f.goal_for) {
      goal_column = target_text(*f.goal_for);
      if (f.goal_for->value != 0) {
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, "%.2f", f.value.median / f.goal_for->value);
        ratio_column = ratio;
      }
      verdict = met(*f.goal_for, f.value.median) ? "met" : "MISSED";
    }
    std::printf("  %-22s %-24s %12.4g %25s %4zu  %-22s %7s %s\n", f.variant.c_str(), f.metric.c_str(), f.value.median,
                range, f.value.runs, goal_column.c_str(), ratio_column.c_str(), verdict.c_str());
  }
  std::fflush(stdout);
}

std::string results_path() {
  const char* dir = std::getenv("BENCH_RESULTS");
  return dir && *dir ? std::string(dir) + "/results.tsv" : std::string("results.tsv");
}

bool smoke() {
  const char* value = std::getenv("BENCH_SMOKE");
  return value && std::string(value) == "1";
}

}  // namespace bench
