#pragma once
// The validators without their UTF-8 checks, for the calls that encode what they
// validate: the encoder checks every string's UTF-8 as it escapes it, so a body is
// scanned once, not twice; only when the encoder reports errc::invalid_utf8 does the
// caller run the full validator, whose error names the field.

#include <codex/api/document.hpp>
#include <codex/result.hpp>

#include <span>

namespace codex::api::detail {

/// codex::validate(input) but the UTF-8 checks.
result<void> validate_limits(const document_input& input);

/// codex::validate_batch(items) but the UTF-8 checks.
result<void> validate_batch_limits(std::span<const document_input> items);

}  // namespace codex::api::detail
