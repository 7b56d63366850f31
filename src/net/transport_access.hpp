#pragma once
// The call path's way into the transport: the same exchange as transport::send, but
// with the request borrowed instead of moved in — a retry sends it again, and bodies
// can be megabytes. Safe only where the request outlives the co_await, as a pipeline
// stage's call_context does.

#include <codex/net/transport.hpp>

namespace codex::net {

struct transport_access {
  /// `preset_fields`: header lines made by codec::format_fields(), sent after Host (the
  /// client's constant fields); must outlive the call.
  static asio::awaitable<result<http_response>> send(transport& t, const http_request& request,
                                                     transport::clock::time_point deadline, bool retry_if_unsent,
                                                     std::string_view preset_fields = {});
};

}  // namespace codex::net
