#pragma once
// The measuring harness shared by the transport clients (sdk_client, beast_client,
// curl_client): their command line, the file inputs, and the timing loop — a warm-up
// that opens every connection, then `runs` timed batches of `requests`, each with the
// process's CPU time (getrusage: user + sys) around it.
//
// Header-only on purpose: beast_client must not link codex (nor its standalone Asio),
// and each client is its own executable so that callgrind counts one client only.
//
// Each run appends two sample lines to --samples (bench/transport/report reads them):
//   BENCHMARK \t VARIANT \t req_per_s \t s1,s2,…
//   BENCHMARK \t VARIANT \t client_cpu_us_per_req \t s1,s2,…

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bench::transport {

/// A client's command line (every client takes the same one; each ignores what it
/// does not need, e.g. beast_client and curl_client send no API key).
struct options {
  std::string url;          ///< the resource: https://127.0.0.1:PORT/v1/documents/{id} or …/documents/batch
  std::string ca_file;      ///< PEM of the CA that signed the server's certificate
  std::string api_key;      ///< sdk_client only
  std::string method = "GET";
  std::string body_file;    ///< POST: the exact request body (the SDK encodes it from --items-file)
  std::string items_file;   ///< POST, sdk_client: the batch's items, one document_input per line
  std::string expect_file;  ///< the exact body the server answers: every response is checked against it
  std::uint64_t requests = 10000;  ///< per timed run
  std::uint64_t warmup = 0;        ///< before the runs; 0: 4 × concurrency (every connection opens)
  unsigned concurrency = 64;
  unsigned runs = 5;
  std::string benchmark = "https-get";  ///< labels of the sample lines
  std::string variant;
  std::string samples_file;  ///< empty: samples only printed
};

inline const char* usage =
    "options: --url URL --ca FILE [--key API_KEY] [--method GET|POST] [--body-file FILE] [--items-file FILE]\n"
    "         --expect-file FILE [--requests N] [--concurrency N] [--runs N] [--warmup N]\n"
    "         [--benchmark NAME] [--variant NAME] [--samples FILE]\n";

inline std::uint64_t parse_count(std::string_view name, const std::string& text) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') throw std::invalid_argument(std::string(name) + ": not a count: " + text);
  return n;
}

/// Parses the command line. Throws std::invalid_argument (with the usage) when it is wrong.
inline options parse_options(int argc, char** argv, std::string variant) {
  options o;
  o.variant = std::move(variant);
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value\n" + usage);
    const std::string value = argv[++i];
    if (name == "--url") o.url = value;
    else if (name == "--ca") o.ca_file = value;
    else if (name == "--key") o.api_key = value;
    else if (name == "--method") o.method = value;
    else if (name == "--body-file") o.body_file = value;
    else if (name == "--items-file") o.items_file = value;
    else if (name == "--expect-file") o.expect_file = value;
    else if (name == "--requests") o.requests = parse_count(name, value);
    else if (name == "--concurrency") o.concurrency = static_cast<unsigned>(parse_count(name, value));
    else if (name == "--runs") o.runs = static_cast<unsigned>(parse_count(name, value));
    else if (name == "--warmup") o.warmup = parse_count(name, value);
    else if (name == "--benchmark") o.benchmark = value;
    else if (name == "--variant") o.variant = value;
    else if (name == "--samples") o.samples_file = value;
    else throw std::invalid_argument("unknown option " + std::string(name) + "\n" + usage);
  }
  if (o.url.empty() || o.ca_file.empty() || o.expect_file.empty())
    throw std::invalid_argument(std::string("--url, --ca and --expect-file are required\n") + usage);
  if (o.method != "GET" && o.method != "POST") throw std::invalid_argument("--method must be GET or POST");
  if (o.method == "POST" && o.body_file.empty()) throw std::invalid_argument("POST needs --body-file");
  if (o.concurrency == 0 || o.runs == 0 || o.requests == 0)
    throw std::invalid_argument("--concurrency, --runs and --requests must be at least 1");
  if (o.warmup == 0) o.warmup = 4 * std::uint64_t{o.concurrency};
  return o;
}

/// The whole file. Throws std::runtime_error when it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The parts of an https URL that a hand-written client needs.
struct url_parts {
  std::string host;
  std::string port;
  std::string target;  ///< path (and query), starting with '/'
};

/// Splits https://HOST:PORT/PATH (no user info, IPv4 or a name). Throws std::invalid_argument.
inline url_parts split_url(const std::string& url) {
  constexpr std::string_view scheme = "https://";
  if (!url.starts_with(scheme)) throw std::invalid_argument("not an https URL: " + url);
  const auto authority_end = url.find('/', scheme.size());
  const std::string authority = url.substr(scheme.size(), authority_end - scheme.size());
  const auto colon = authority.rfind(':');
  url_parts parts;
  parts.host = authority.substr(0, colon);
  parts.port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
  parts.target = authority_end == std::string::npos ? "/" : url.substr(authority_end);
  return parts;
}

/// User + system CPU time of this process so far, in seconds.
inline double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// Performs `count` requests at the client's concurrency and returns once all have
/// answered. Throws (std::runtime_error) on any failure or wrong answer.
using request_batch = std::function<void(std::uint64_t count)>;

inline std::string joined(const std::vector<double>& samples) {
  std::string out;
  for (double s : samples) {
    char text[32];
    std::snprintf(text, sizeof text, "%s%.6g", out.empty() ? "" : ",", s);
    out += text;
  }
  return out;
}

inline void write_samples(const options& o, const std::vector<double>& rates, const std::vector<double>& cpu) {
  const std::string lines = o.benchmark + "\t" + o.variant + "\treq_per_s\t" + joined(rates) + "\n" + o.benchmark +
                            "\t" + o.variant + "\tclient_cpu_us_per_req\t" + joined(cpu) + "\n";
  std::fputs(lines.c_str(), stdout);
  if (o.samples_file.empty()) return;
  std::ofstream out(o.samples_file, std::ios::app);
  if (!(out << lines).flush()) throw std::runtime_error("cannot write " + o.samples_file);
}

/// How many connections the client has opened so far (each client counts its own way).
using connection_count = std::function<std::uint64_t()>;

/// The timing loop: warm-up, then o.runs timed batches; writes the samples. Notes on
/// stderr when the warm-up did not open one connection per unit of concurrency or the
/// timed runs opened more (every connection should be kept alive and reused).
inline void measure(const options& o, const request_batch& run, const connection_count& connections) {
  run(o.warmup);
  const std::uint64_t after_warmup = connections();
  std::vector<double> rates, cpu;
  for (unsigned i = 0; i < o.runs; ++i) {
    const double cpu_before = process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    run(o.requests);
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
    const double cpu_used = process_cpu_seconds() - cpu_before;
    const double n = static_cast<double>(o.requests);
    rates.push_back(n / wall.count());
    cpu.push_back(cpu_used * 1e6 / n);
  }
  const std::uint64_t during_runs = connections() - after_warmup;
  if (after_warmup == o.concurrency && during_runs == 0) return write_samples(o, rates, cpu);
  std::fprintf(stderr, "note: %s (%s): %llu connections opened in the warm-up, %llu during the timed runs\n",
               o.variant.c_str(), o.benchmark.c_str(), static_cast<unsigned long long>(after_warmup),
               static_cast<unsigned long long>(during_runs));
  write_samples(o, rates, cpu);
}

/// Runs a client's main body: bad options exit 2, a failed or wrong request exits 1.
inline int run_main(const std::function<void()>& body) {
  try {
    body();
    return 0;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace bench::transport
