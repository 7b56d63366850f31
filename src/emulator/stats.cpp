#include "emulator/stats.hpp"

#include <codex/json/writer.hpp>

namespace codex::emulator {

std::string stats_to_json(const stats_table& table, std::size_t documents,
                          const std::optional<step_schedule>& fail_step) {
  std::string out;
  json::writer w{out};
  w.begin_object().key("credentials").begin_object();
  for (const auto& [id, c] : table) {
    w.key(id).begin_object()
        .key("requests").uint64(c.requests)
        .key("ok").uint64(c.ok)
        .key("rate_limited").uint64(c.rate_limited)
        .key("tokens_issued").uint64(c.tokens_issued)
        .key("batch_items_accepted").uint64(c.batch_items_accepted)
        .end_object();
  }
  w.end_object().key("documents").uint64(documents).key("fail_step");
  if (!fail_step) {
    w.null();
  } else {
    w.begin_object()
        .key("n").uint64(fail_step->fault().n)
        .key("action").string(to_string(fail_step->fault().action))
        .key("steps").uint64(fail_step->steps())
        .key("fired").boolean(fail_step->fired())
        .key("log").begin_array();
    for (const step_kind kind : fail_step->log()) w.string(to_string(kind));
    w.end_array().end_object();
  }
  w.end_object();
  return out;
}

}  // namespace codex::emulator
