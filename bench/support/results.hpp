#pragma once
// bench::results — how every benchmark program reports: samples summarised as
// median/min/max, one TSV row per figure in the run's results.tsv, and a printed table
// that puts each figure beside its target.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace bench {

/// The median, minimum and maximum of a set of samples (one sample per run).
struct summary {
  double median = 0;
  double min = 0;
  double max = 0;
  std::size_t runs = 0;
};

/// Summarises samples (median of an even count: the mean of the two middle ones).
/// An empty set gives an all-zero summary with runs = 0.
summary summarize(std::vector<double> samples);

/// Which way a figure should go to meet its target.
enum class goal { at_least, at_most, exactly };

/// A target: e.g. {goal::at_least, 900, "MB/s"}. `text` overrides the printed form
/// (e.g. "≥ 2 × libcurl-multi").
struct target {
  goal direction = goal::at_least;
  double value = 0;
  std::string text;
};

/// One printed (and written) figure.
struct figure {
  std::string benchmark;  ///< e.g. "https-get"
  std::string variant;    ///< e.g. "sdk", "libcurl-multi"
  std::string metric;     ///< e.g. "req_per_s", "client_cpu_us_per_req"
  summary value;
  std::optional<target> goal_for;  ///< printed with the ratio figure/target and met/missed
};

/// Appends rows `benchmark\tvariant\tmetric\tmedian\tmin\tmax\truns` to `path`
/// (writing the header first if the file is new or empty). Throws std::runtime_error
/// when the file cannot be written.
void append_rows(const std::string& path, const std::vector<figure>& figures);

/// Prints a table titled `title` to stdout: variant, metric, median, min–max, runs, and
/// for figures with a target, the target, the ratio to it and whether it is met.
void print_table(const std::string& title, const std::vector<figure>& figures);

/// Where results go: $BENCH_RESULTS/results.tsv, or ./results.tsv when unset.
std::string results_path();

/// True when $BENCH_SMOKE=1 (bench/run --smoke): tiny counts, the same code paths.
bool smoke();

}  // namespace bench
