#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <asio/ssl/error.hpp>

#include <cstring>

namespace codex::net {
namespace {

/// Decodes now, on one thread, the extensions OpenSSL caches inside each loaded CA
/// certificate the first time a chain is checked against it (ossl_x509v3_cache_extensions):
/// the store is shared by every connection, and TSan saw two first handshakes on two
/// threads race on those cached fields (ASN1_STRING_set against ASN1_STRING_cmp).
void cache_certificate_extensions(X509_STORE* store) {
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    if (X509* certificate = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i)))
      X509_check_purpose(certificate, -1, 0);
  }
}

[[noreturn]] void throw_config_error(std::string message) {
  throw codex::error(error_info{.code = make_error_code(errc::invalid_argument), .message = std::move(message)});
}

/// OpenSSL's passphrase callback: copies the key's passphrase (a secret) into its buffer.
int passphrase_callback(char* buffer, int size, int /*rwflag*/, void* user_data) {
  const auto* passphrase = static_cast<const auth::secret*>(user_data);
  const std::string_view value = passphrase->reveal();
  if (value.size() > static_cast<std::size_t>(size)) return -1;
  if (!value.empty()) std::memcpy(buffer, value.data(), value.size());  // an empty secret's data() may be null
  return static_cast<int>(value.size());
}

/// Loads the client certificate chain and its key into `ctx`. Every message names the
/// file, never the passphrase.
void load_client_certificate(SSL_CTX* ctx, const tls_options& options) {
  const std::string& chain = options.client_certificate_file;
  const std::string& key = options.client_key_file.empty() ? chain : options.client_key_file;
  if (chain.empty()) {
    if (!options.client_key_file.empty()) throw_config_error("client_key_file " + key + " given without client_certificate_file");
    return;
  }
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, chain.c_str()) != 1)
    throw_config_error("cannot load the client certificate chain from " + chain + " (unreadable, or not PEM)");
  // The callback reads the passphrase only while the key loads; it is unset right after,
  // so the context keeps no pointer to the options.
  SSL_CTX_set_default_passwd_cb(ctx, passphrase_callback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<auth::secret*>(&options.client_key_passphrase));
  const int loaded = SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_set_default_passwd_cb(ctx, nullptr);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  if (loaded != 1) {
    // OpenSSL checks the key against the certificate as it loads it.
    const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    ERR_clear_error();
    if (mismatch) throw_config_error("the client key in " + key + " does not match the certificate in " + chain);
    throw_config_error("cannot load the client key from " + key +
                       " (unreadable, not PEM, or encrypted and the passphrase is missing or wrong)");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    throw_config_error("the client key in " + key + " does not match the certificate in " + chain);
  }
}

/// Alerts by which a server says that it wanted a client certificate, or refused ours.
bool is_client_certificate_reason(unsigned long reason) noexcept {
  switch (reason) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED: return true;
    default: return false;
  }
}

}  // namespace

tls_context::tls_context(const tls_options& options)
    : context_(asio::ssl::context::tls_client), verify_peer_(options.verify_peer) {
  SSL_CTX* ctx = context_.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // The client keeps sessions itself (one per origin), not in OpenSSL's internal cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  std::error_code ec;
  if (!options.ca_file.empty()) {
    context_.load_verify_file(options.ca_file, ec);
    if (ec) throw_config_error("cannot load CA file " + options.ca_file);
    cache_certificate_extensions(SSL_CTX_get_cert_store(ctx));
  }
  if (!options.ca_directory.empty()) {
    context_.add_verify_path(options.ca_directory, ec);
    if (ec) throw_config_error("cannot use CA directory " + options.ca_directory);
  }
  if (options.effective_use_system_store()) {
    context_.set_default_verify_paths(ec);
    if (ec) throw_config_error("cannot load the system trust store");
  }
  context_.set_verify_mode(verify_peer_ ? asio::ssl::verify_peer : asio::ssl::verify_none);
  load_client_certificate(ctx, options);
}

std::error_code tls_context::prepare(SSL* ssl, const std::string& host, bool host_is_ip) {
  if (!host_is_ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)
    return make_error_code(errc::tls_handshake_failed);
  if (verify_peer_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (ok != 1) return make_error_code(errc::invalid_url);
  }
  std::shared_ptr<SSL_SESSION> session;
  {
    std::lock_guard lock(session_mutex_);
    session = session_;
  }
  if (session) SSL_set_session(ssl, session.get());  // a stale session only costs a full handshake
  return {};
}

errc tls_context::classify_handshake_failure(SSL* ssl, const std::error_code& ec) noexcept {
  switch (SSL_get_verify_result(ssl)) {
    case X509_V_OK: return is_client_certificate_alert(ec) ? errc::client_certificate_rejected : errc::tls_handshake_failed;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return errc::host_name_mismatch;
    default: return errc::certificate_rejected;
  }
}

bool tls_context::is_client_certificate_alert(const std::error_code& ec) noexcept {
  return ec.category() == asio::error::get_ssl_category() &&
         is_client_certificate_reason(ERR_GET_REASON(static_cast<unsigned long>(ec.value())));
}

void tls_context::remember_session(SSL* ssl) {
  SSL_SESSION* current = SSL_get0_session(ssl);
  if (current == nullptr || SSL_SESSION_is_resumable(current) != 1) return;
  // A copy, not the connection's own object: when that connection is later freed
  // without a close_notify (the server closed it, or an error), OpenSSL marks its
  // session not_resumable (ssl_clear_bad_session) — which would poison ours too.
  SSL_SESSION* copy = SSL_SESSION_dup(current);
  if (copy == nullptr) return;
  std::shared_ptr<SSL_SESSION> session(copy, SSL_SESSION_free);
  std::lock_guard lock(session_mutex_);
  session_ = std::move(session);
}

}  // namespace codex::net
