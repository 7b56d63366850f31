// libcurl's multi interface as the SDK's peer: one thread, one easy handle per unit of
// concurrency, HTTP/1.1 with verified TLS against the run-time CA, connections kept
// in the multi handle's cache and reused. The loop is the one libcurl documents
// (curl_multi_perform + curl_multi_poll; a finished handle is re-added for the next
// request). Every response is checked: status 200 and the exact body served.

#include "harness.hpp"

#include <curl/curl.h>

#include <memory>

namespace {

using bench::transport::options;

/// One in-flight request: its easy handle and the body received so far.
struct transfer {
  CURL* easy = nullptr;
  std::string body;
  ~transfer() { curl_easy_cleanup(easy); }
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<transfer*>(user)->body.append(data, size * count);
  return size * count;
}

void check(CURLcode code, const char* what) {
  if (code != CURLE_OK) throw std::runtime_error(std::string(what) + ": " + curl_easy_strerror(code));
}

void check(CURLMcode code, const char* what) {
  if (code != CURLM_OK) throw std::runtime_error(std::string(what) + ": " + curl_multi_strerror(code));
}

class curl_client {
 public:
  explicit curl_client(const options& o) : options_(o), expected_(bench::transport::read_file(o.expect_file)) {
    if (o.method == "POST") body_ = bench::transport::read_file(o.body_file);
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip for the 64 KiB body
    multi_ = curl_multi_init();
    check(curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(o.concurrency)), "max host");
    check(curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(o.concurrency)), "max connects");
    for (unsigned i = 0; i < o.concurrency; ++i) transfers_.push_back(make_transfer());
  }

  ~curl_client() {
    transfers_.clear();
    curl_multi_cleanup(multi_);
    curl_slist_free_all(headers_);
  }

  curl_client(const curl_client&) = delete;
  curl_client& operator=(const curl_client&) = delete;

  /// New connections made by every transfer so far (CURLINFO_NUM_CONNECTS).
  std::uint64_t connections() const { return connections_; }

  /// `count` requests, at most one per easy handle at a time.
  void run(std::uint64_t count) {
    std::uint64_t started = 0, finished = 0;
    for (auto& t : transfers_) {
      if (started == count) break;
      start(*t);
      ++started;
    }
    while (finished < count) {
      int running = 0;
      check(curl_multi_perform(multi_, &running), "curl_multi_perform");
      finished += collect(started, count);
      if (finished < count) check(curl_multi_poll(multi_, nullptr, 0, 1000, nullptr), "curl_multi_poll");
    }
  }

 private:
  std::unique_ptr<transfer> make_transfer() {
    auto t = std::make_unique<transfer>();
    t->easy = curl_easy_init();
    CURL* e = t->easy;
    check(curl_easy_setopt(e, CURLOPT_URL, options_.url.c_str()), "url");
    check(curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str()), "cainfo");
    check(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L), "verify peer");
    check(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L), "verify host");
    check(curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1), "http version");
    check(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &append_body), "write function");
    check(curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get()), "write data");
    check(curl_easy_setopt(e, CURLOPT_PRIVATE, t.get()), "private");
    if (options_.method == "POST") {
      check(curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers_), "headers");
      check(curl_easy_setopt(e, CURLOPT_POSTFIELDS, body_.data()), "post fields");
      check(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size())), "post size");
    }
    return t;
  }

  void start(transfer& t) {
    t.body.clear();
    check(curl_multi_add_handle(multi_, t.easy), "curl_multi_add_handle");
  }

  /// Checks the finished transfers and restarts their handles while requests remain.
  std::uint64_t collect(std::uint64_t& started, std::uint64_t count) {
    std::uint64_t done = 0;
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      transfer* t = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &t);
      check(message->data.result, "transfer");
      verify(*t);
      connections_ += new_connections(*t);
      check(curl_multi_remove_handle(multi_, t->easy), "curl_multi_remove_handle");
      ++done;
      if (started < count) {
        start(*t);
        ++started;
      }
    }
    return done;
  }

  static std::uint64_t new_connections(const transfer& t) {
    long connects = 0;
    curl_easy_getinfo(t.easy, CURLINFO_NUM_CONNECTS, &connects);
    return static_cast<std::uint64_t>(connects);
  }

  void verify(const transfer& t) const {
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) throw std::runtime_error("status " + std::to_string(status));
    if (t.body != expected_) throw std::runtime_error("the body is not the one the server serves");
  }

  const options& options_;
  std::string expected_;
  std::string body_;
  curl_slist* headers_ = nullptr;
  CURLM* multi_ = nullptr;
  std::vector<std::unique_ptr<transfer>> transfers_;
  std::uint64_t connections_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int status = bench::transport::run_main([&] {
    const options o = bench::transport::parse_options(argc, argv, "libcurl-multi");
    curl_client client(o);
    bench::transport::measure(o, [&](std::uint64_t count) { client.run(count); }, [&] { return client.connections(); });
  });
  curl_global_cleanup();
  return status;
}
