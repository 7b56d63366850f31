#pragma once
// The contract's error body: {"status": N, "error": "code", "message": "..."}.

#include <string>
#include <string_view>

namespace codex::emulator {

/// An HTTP error the emulator answers with.
struct api_error {
  int status = 500;
  std::string code;     ///< short machine code, e.g. "invalid_token"
  std::string message;  ///< for people
};

/// The JSON body of `e`. Thread-safe.
std::string error_body(const api_error& e);

}  // namespace codex::emulator
