// `flex validate`: runs the validation suite (validation/*.ini) and writes
// validation_report.md / .json; exits non-zero if any check fails.
#pragma once

namespace flex {
class DeckSchema;
struct RunContext;

void declare_validate_keys(DeckSchema& schema);
int run_validate(const RunContext& ctx);
}  // namespace flex
