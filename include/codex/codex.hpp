#pragma once
// The whole public API in one include: the client and its configuration, the typed
// errors, the models, the documents resource with its pagination, the ingester and
// its report, and the choice of rate limiter. What is not reachable from here (the
// token cache, the retry tracker, the GCRA, the codec) is machinery: public headers
// today for the tests and the emulator, not part of the API a user needs.
//
//   #include <codex/codex.hpp>
//   codex::client api{executor, codex::config::from_env().value()};
//   codex::document doc = co_await api.documents().get("doc_…");

#include <codex/api/account.hpp>
#include <codex/api/async.hpp>
#include <codex/api/batch.hpp>
#include <codex/api/document.hpp>
#include <codex/api/document_stream.hpp>
#include <codex/api/documents.hpp>
#include <codex/api/list_options.hpp>
#include <codex/api/page.hpp>
#include <codex/api/validation.hpp>
#include <codex/auth/credentials.hpp>
#include <codex/client.hpp>
#include <codex/config.hpp>
#include <codex/error.hpp>
#include <codex/ingest/ingester.hpp>
#include <codex/ingest/report.hpp>
#include <codex/limit/limiter_options.hpp>
#include <codex/observer.hpp>
#include <codex/result.hpp>
