#include "core/limits.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace router {
namespace {

absl::Status CheckBounded(absl::string_view field, double value, double max,
                          absl::string_view limit) {
  if (std::isfinite(value) && value >= 0 && value <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s must be a finite number in [0, %g] (limits.%s), got %g", field, max, limit, value));
}

absl::Status CheckLength(absl::string_view field, absl::string_view value, size_t max,
                         absl::string_view limit) {
  if (value.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s is %d bytes, more than limits.%s = %d: %s", field, value.size(), limit, max,
      Quote(value)));
}

}  // namespace

std::string Quote(absl::string_view input) {
  if (input.size() <= kQuotedInputBytes) return absl::StrCat("'", input, "'");
  // Cut on a UTF-8 character boundary so the message stays valid UTF-8.
  size_t cut = kQuotedInputBytes;
  while (cut > 0 && (static_cast<unsigned char>(input[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat("'", input.substr(0, cut), "...' (", input.size(), " bytes)");
}

absl::Status CheckId(absl::string_view field, absl::string_view value, const InputLimits& limits,
                     bool required) {
  if (required && value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  return CheckLength(field, value, limits.max_id_bytes, "max_id_bytes");
}

absl::Status ValidateSignals(const Signals& s, const InputLimits& limits) {
  if (s.empty()) {
    return absl::InvalidArgumentError(
        "feedback carries no signal; set at least one of thumbs, judge_score, latency_ms, "
        "energy_j, cost_usd, input_tokens, output_tokens");
  }
  if (s.judge_score && !(*s.judge_score >= 0 && *s.judge_score <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("judge_score must be in [0, 1], got %g", *s.judge_score));
  }
  if (s.arm_qualities.size() > limits.max_arms_per_router) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "arm_qualities has %d entries, more than limits.max_arms_per_router = %d",
        s.arm_qualities.size(), limits.max_arms_per_router));
  }
  for (const auto& [arm, quality] : s.arm_qualities) {
    if (arm.empty()) return absl::InvalidArgumentError("arm_qualities has an empty arm name");
    if (auto st = CheckLength("an arm_qualities key", arm, limits.max_id_bytes, "max_id_bytes");
        !st.ok()) {
      return st;
    }
    if (!(quality >= 0 && quality <= 1)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "arm_qualities[%s] must be in [0, 1], got %g", Quote(arm), quality));
    }
  }
  const struct {
    const char* name;
    const std::optional<double>* value;
    double max;
    const char* limit;
  } bounded[] = {{"latency_ms", &s.latency_ms, limits.max_latency_ms, "max_latency_ms"},
                 {"energy_j", &s.energy_j, limits.max_energy_j, "max_energy_j"},
                 {"cost_usd", &s.cost_usd, limits.max_cost_usd, "max_cost_usd"}};
  for (const auto& b : bounded) {
    if (b.value->has_value()) {
      if (auto st = CheckBounded(b.name, **b.value, b.max, b.limit); !st.ok()) return st;
    }
  }
  const std::pair<const char*, const std::optional<uint64_t>*> tokens[] = {
      {"input_tokens", &s.input_tokens}, {"output_tokens", &s.output_tokens}};
  for (const auto& [name, value] : tokens) {
    if (value->has_value() && **value > limits.max_tokens) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s must be at most %d (limits.max_tokens), got %d", name, limits.max_tokens, **value));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckQueryLimits(const RouteQuery& q, const InputLimits& limits) {
  if (auto s = CheckId("request_id", q.request_id, limits, /*required=*/false); !s.ok()) return s;
  if (auto s = CheckLength("text", q.text, limits.max_text_bytes, "max_text_bytes"); !s.ok()) {
    return s;
  }
  if (q.attributes.size() > limits.max_attributes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d attributes, more than limits.max_attributes = %d", q.attributes.size(),
        limits.max_attributes));
  }
  for (const auto& [key, value] : q.attributes) {
    if (auto s = CheckId("an attribute key", key, limits, /*required=*/false); !s.ok()) return s;
    if (auto s = CheckLength(absl::StrCat("attribute ", Quote(key)), value,
                             limits.max_attribute_value_bytes, "max_attribute_value_bytes");
        !s.ok()) {
      return s;
    }
  }
  if (q.allowed_arms.size() > limits.max_arms_per_router) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "allowed_arms has %d entries, more than limits.max_arms_per_router = %d",
        q.allowed_arms.size(), limits.max_arms_per_router));
  }
  for (const std::string& arm : q.allowed_arms) {
    if (auto s = CheckId("an allowed_arms entry", arm, limits); !s.ok()) return s;
  }
  const std::pair<const char*, const std::optional<double>*> weights[] = {
      {"preferences.quality", &q.preferences.quality},
      {"preferences.cost", &q.preferences.cost},
      {"preferences.latency", &q.preferences.latency},
      {"preferences.energy", &q.preferences.energy}};
  for (const auto& [name, value] : weights) {
    // Negative and non-finite weights get the router's own message; only the upper bound here.
    if (value->has_value() && std::isfinite(**value) && **value > limits.max_preference_weight) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s must be at most %g (limits.max_preference_weight), got %g", name,
          limits.max_preference_weight, **value));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckArmLimits(const ArmSpec& arm, const InputLimits& limits) {
  if (auto s = CheckId("arm id", arm.id, limits); !s.ok()) return s;
  const std::string where = absl::StrCat("arm ", Quote(arm.id), ": ");
  const struct {
    const char* name;
    double value;
    double max;
    const char* limit;
  } bounded[] = {
      {"input_price_per_mtok", arm.input_price_per_mtok, limits.max_price_per_mtok,
       "max_price_per_mtok"},
      {"output_price_per_mtok", arm.output_price_per_mtok, limits.max_price_per_mtok,
       "max_price_per_mtok"},
      {"latency_prior_ms", arm.latency_prior_ms.value_or(0), limits.max_latency_ms,
       "max_latency_ms"},
      {"energy_prior_j", arm.energy_prior_j.value_or(0), limits.max_energy_j, "max_energy_j"}};
  for (const auto& b : bounded) {
    if (auto s = CheckBounded(b.name, b.value, b.max, b.limit); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace router
