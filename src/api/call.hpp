#pragma once
// How the typed calls enter the call path: a job for the driver, decoded in its frame.

#include "call/call_driver.hpp"
#include "call/session.hpp"

#include <codex/result.hpp>

#include <asio/awaitable.hpp>

#include <string>
#include <utility>

namespace codex::api::detail {

template <class T>
using decoder = codex::call::decoder<T>;

/// Sends `request` through `api`'s call path and decodes the answer, delivered `how`:
/// one coroutine frame, the driver's. Not a coroutine itself: the request is made into
/// a job at once (which keeps the client's machinery alive to the call's end; its parts
/// are moved once, into the job), and no aggregate is passed by value to a coroutine
/// (g++ 12 miscompiles braced aggregate arguments of coroutines).
template <class T, codex::call::delivery how = codex::call::delivery::as_result>
asio::awaitable<codex::call::delivered<T, how>> typed_call(codex::call::session& api, api_request&& request,
                                                           decoder<T> decode) {
  auto job = api.prepare(std::move(request));
  if (!job) return codex::call::ready<T, how>(result<T>(std::move(job).error()));
  return codex::call::drive<T, how>(std::move(*job), decode);
}

/// Room a path keeps before its text for the base URL's prefix ("/v1"), which the
/// client inserts in place: the request's target is then built with no new string.
inline constexpr std::size_t path_headroom = 32;

/// "/documents/" + the percent-encoded id (with path_headroom spare).
std::string document_path(std::string_view id);

}  // namespace codex::api::detail
