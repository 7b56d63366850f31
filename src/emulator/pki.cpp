#include "emulator/pki.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace codex::emulator::pki {
namespace {

template <auto free_function>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept { free_function(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;

constexpr long seconds_per_day = 24 * 60 * 60;
// Back-dated so that a client whose clock lags a little still accepts the chain.
constexpr long not_before_offset = -3 * seconds_per_day;
constexpr long not_after_offset = 365 * seconds_per_day;

/// Throws with the failed step and OpenSSL's queued reason, and clears the queue so
/// that later, unrelated failures are not blamed on this one.
[[noreturn]] void fail(std::string_view step) {
  std::string message = "pki: ";
  message += step;
  message += " failed";
  if (unsigned long code = ERR_get_error(); code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    message += ": ";
    message += reason;
  }
  ERR_clear_error();
  throw std::runtime_error(message);
}

void check(bool ok, std::string_view step) {
  if (!ok) fail(step);
}

pkey_ptr generate_p256_key() {
  pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  check(key != nullptr, "generating a P-256 key");
  return key;
}

/// A positive, non-zero 159-bit serial: unpredictable, as RFC 5280 advises, and
/// short enough to stay within the 20-octet limit.
void set_random_serial(X509* cert) {
  bignum_ptr serial{BN_new()};
  check(serial != nullptr, "allocating a serial");
  check(BN_rand(serial.get(), 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1, "drawing a serial");
  check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) != nullptr, "setting the serial");
}

void set_common_name(X509_NAME* name, std::string_view common_name) {
  const std::string cn{common_name};
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) == 1,
        "setting the common name");
}

/// A certificate with everything but extensions and signature: version 3, serial,
/// validity, subject, issuer and public key.
x509_ptr new_certificate(std::string_view common_name, EVP_PKEY* subject_key, X509* issuer) {
  x509_ptr cert{X509_new()};
  check(cert != nullptr, "allocating a certificate");
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "setting the version");
  set_random_serial(cert.get());
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_offset) != nullptr, "setting notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_offset) != nullptr, "setting notAfter");
  set_common_name(X509_get_subject_name(cert.get()), common_name);
  X509_NAME* issuer_name = X509_get_subject_name(issuer != nullptr ? issuer : cert.get());
  check(X509_set_issuer_name(cert.get(), issuer_name) == 1, "setting the issuer");
  check(X509_set_pubkey(cert.get(), subject_key) == 1, "setting the public key");
  return cert;
}

/// Adds one extension written in openssl.cnf syntax ("critical,CA:TRUE"). The
/// context must name the issuer, for authorityKeyIdentifier.
void add_extension(X509* cert, X509V3_CTX& context, int nid, const std::string& value) {
  extension_ptr extension{X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str())};
  check(extension != nullptr, OBJ_nid2sn(nid));
  check(X509_add_ext(cert, extension.get(), -1) == 1, OBJ_nid2sn(nid));
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
  check(X509_sign(cert, issuer_key, EVP_sha256()) > 0, "signing a certificate");
}

/// Drains a memory BIO into a string.
std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  check(size >= 0, "reading PEM output");
  return std::string(data, static_cast<std::size_t>(size));
}

bio_ptr new_memory_bio() {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  check(bio != nullptr, "allocating a memory BIO");
  return bio;
}

std::string certificate_to_pem(X509* cert) {
  bio_ptr bio = new_memory_bio();
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "writing a certificate as PEM");
  return drain(bio.get());
}

std::string private_key_to_pem(EVP_PKEY* key) {
  bio_ptr bio = new_memory_bio();
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "writing a private key as PEM");
  return drain(bio.get());
}

/// "DNS:a,DNS:b,IP:127.0.0.1" — subjectAltName in openssl.cnf syntax.
std::string alt_names(const subject_names& names) {
  std::string out;
  auto append = [&out](std::string_view kind, const std::string& value) {
    // A comma would split the entry in two: refuse rather than issue a surprise.
    if (value.empty() || value.find(',') != std::string::npos) {
      throw std::runtime_error("pki: invalid subject alternative name '" + value + "'");
    }
    if (!out.empty()) out += ',';
    out += kind;
    out += value;
  };
  for (const auto& dns : names.dns) append("DNS:", dns);
  for (const auto& ip : names.ip_addresses) append("IP:", ip);
  if (out.empty()) throw std::runtime_error("pki: a leaf certificate needs at least one name");
  return out;
}

}  // namespace

struct authority::state {
  pkey_ptr key;
  x509_ptr certificate;
};

authority::authority(std::string_view common_name) : state_(std::make_unique<state>()) {
  state_->key = generate_p256_key();
  state_->certificate = new_certificate(common_name, state_->key.get(), nullptr);
  X509* cert = state_->certificate.get();

  X509V3_CTX context;
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  check(X509V3_set_issuer_pkey(&context, state_->key.get()) == 1, "setting the issuer key");
  add_extension(cert, context, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, context, NID_key_usage, "critical,keyCertSign,cRLSign");
  // The subject key id goes first: the authority key id of a self-signed
  // certificate is derived from it.
  add_extension(cert, context, NID_subject_key_identifier, "hash");
  add_extension(cert, context, NID_authority_key_identifier, "keyid:always");
  sign(cert, state_->key.get());
  certificate_pem_ = certificate_to_pem(cert);
}

authority::~authority() = default;
authority::authority(authority&&) noexcept = default;
authority& authority::operator=(authority&&) noexcept = default;

namespace {

/// A leaf for `usage` ("serverAuth" with its names, or "clientAuth"), signed by the CA.
leaf_credentials make_leaf(std::string_view common_name, X509* ca, EVP_PKEY* ca_key, const std::string& ca_pem,
                           std::string_view usage, const std::string& san) {
  pkey_ptr key = generate_p256_key();
  x509_ptr leaf = new_certificate(common_name, key.get(), ca);

  X509V3_CTX context;
  X509V3_set_ctx(&context, ca, leaf.get(), nullptr, nullptr, 0);
  add_extension(leaf.get(), context, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(leaf.get(), context, NID_key_usage, "critical,digitalSignature");
  add_extension(leaf.get(), context, NID_ext_key_usage, std::string(usage));
  if (!san.empty()) add_extension(leaf.get(), context, NID_subject_alt_name, san);
  add_extension(leaf.get(), context, NID_subject_key_identifier, "hash");
  add_extension(leaf.get(), context, NID_authority_key_identifier, "keyid:always");
  sign(leaf.get(), ca_key);

  leaf_credentials out;
  out.certificate_pem = certificate_to_pem(leaf.get());
  out.chain_pem = out.certificate_pem + ca_pem;
  out.private_key_pem = private_key_to_pem(key.get());
  return out;
}

}  // namespace

leaf_credentials authority::issue(std::string_view common_name, const subject_names& names) const {
  return make_leaf(common_name, state_->certificate.get(), state_->key.get(), certificate_pem_, "serverAuth",
                   alt_names(names));
}

leaf_credentials authority::issue_client(std::string_view common_name) const {
  return make_leaf(common_name, state_->certificate.get(), state_->key.get(), certificate_pem_, "clientAuth", {});
}

std::string encrypt_private_key(std::string_view private_key_pem, std::string_view passphrase) {
  bio_ptr in{BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()))};
  check(in != nullptr, "reading a private key");
  pkey_ptr key{PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr)};
  check(key != nullptr, "parsing a private key");
  bio_ptr out = new_memory_bio();
  std::string pass(passphrase);
  check(PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), pass.data(), static_cast<int>(pass.size()),
                                      nullptr, nullptr) == 1,
        "writing an encrypted private key");
  return drain(out.get());
}

namespace {

[[noreturn]] void fail_errno(std::string_view step, const std::filesystem::path& path) {
  throw std::runtime_error("pki: " + std::string(step) + " " + path.string() + ": " + std::strerror(errno));
}

/// Closes a descriptor and removes a temporary file unless released.
class temporary_file {
 public:
  temporary_file(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~temporary_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  temporary_file(const temporary_file&) = delete;
  temporary_file& operator=(const temporary_file&) = delete;

  int fd() const noexcept { return fd_; }
  const std::string& path() const noexcept { return path_; }
  /// Closes the descriptor, reporting a failed close (the last chance to see EIO).
  bool close() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  /// The file was renamed into place: do not remove it.
  void keep() noexcept { path_.clear(); }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view contents, unsigned mode) {
  std::string pattern = path.string() + ".tmp-XXXXXX";
  // mkstemp creates the file 0600 already, so a secret is never readable by others,
  // even for the instant before fchmod.
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) fail_errno("creating a temporary file for", path);
  temporary_file temp{fd, pattern};

  if (::fchmod(temp.fd(), static_cast<mode_t>(mode)) != 0) fail_errno("setting the mode of", path);
  const char* data = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t written = ::write(temp.fd(), data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail_errno("writing", path);
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  if (::fsync(temp.fd()) != 0) fail_errno("flushing", path);
  if (!temp.close()) fail_errno("closing", path);
  if (::rename(temp.path().c_str(), path.c_str()) != 0) fail_errno("renaming into place", path);
  temp.keep();
}

}  // namespace codex::emulator::pki
