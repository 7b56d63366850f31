#pragma once
// The call path's way into the transport: the same exchange as transport::send, but
// with the request borrowed instead of moved in — a retry sends it again, and bodies
// can be megabytes. Safe only where the request outlives the co_await, as a pipeline
// stage's call_context does.

#include <codex/net/transport.hpp>

namespace codex::net {

/// What one send through the pool ended with.
struct sent_request {
  result<http_response> response;
  /// False when it failed before any byte of the request was written (waiting for a
  /// connection, connecting, the proxy's tunnel, the TLS handshake, a refused head).
  bool request_written = false;
};

/// transport::send with `request` borrowed: it must outlive the co_await.
/// `preset_fields`: header lines made by codec::format_fields(), sent after Host (the
/// client's constant fields); must outlive the call too.
asio::awaitable<sent_request> send_borrowed(transport& t, const http_request& request,
                                            transport::clock::time_point deadline, bool retry_if_unsent,
                                            std::string_view preset_fields = {});

}  // namespace codex::net
