// ArmModel checkpoint export / import, kept apart from the learning code in arm_model.cc.

#include "absl/strings/str_format.h"
#include "core/arm_model.h"

namespace router {

ArmState ArmModel::ExportState() const {
  ArmState a;
  a.arm = stats_.spec.id;
  a.input_price_per_mtok = stats_.spec.input_price_per_mtok;
  a.output_price_per_mtok = stats_.spec.output_price_per_mtok;
  a.decisions = stats_.decisions;
  a.quality_observations = stats_.quality_observations;
  a.quality_sum = stats_.quality_sum;
  a.cost_observations = stats_.cost_observations;
  a.cost_sum_usd = stats_.cost_sum_usd;
  a.latency_observations = stats_.latency_observations;
  a.latency_sum_ms = stats_.latency_sum_ms;
  a.energy_observations = stats_.energy_observations;
  a.energy_sum_j = stats_.energy_sum_j;
  a.quality = quality_.ExportState();
  a.cost = cost_.ExportState();
  a.latency = latency_.ExportState();
  a.energy = energy_.ExportState();
  return a;
}

absl::Status ArmModel::ImportState(const ArmState& a, bool everything) {
  if (!everything) {
    stats_.decisions = a.decisions;
    return absl::OkStatus();
  }
  if (a.input_price_per_mtok != stats_.spec.input_price_per_mtok ||
      a.output_price_per_mtok != stats_.spec.output_price_per_mtok) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "arm '%s': state was learned with prices %g/%g per Mtok, the config now gives %g/%g",
        a.arm, a.input_price_per_mtok, a.output_price_per_mtok, stats_.spec.input_price_per_mtok,
        stats_.spec.output_price_per_mtok));
  }
  // Import into copies, so that an error leaves the arm as it was.
  RidgeModel quality = quality_, cost = cost_, latency = latency_, energy = energy_;
  const std::pair<const char*, std::pair<RidgeModel*, const RidgeState*>> models[] = {
      {"quality", {&quality, &a.quality}},
      {"cost", {&cost, &a.cost}},
      {"latency", {&latency, &a.latency}},
      {"energy", {&energy, &a.energy}}};
  for (const auto& [objective, m] : models) {
    if (absl::Status s = m.first->ImportState(*m.second); !s.ok()) {
      return absl::Status(s.code(), absl::StrFormat("arm '%s', %s model: %s", a.arm, objective,
                                                    s.message()));
    }
  }
  quality_ = std::move(quality);
  cost_ = std::move(cost);
  latency_ = std::move(latency);
  energy_ = std::move(energy);
  stats_.decisions = a.decisions;
  stats_.quality_observations = a.quality_observations;
  stats_.quality_sum = a.quality_sum;
  stats_.cost_observations = a.cost_observations;
  stats_.cost_sum_usd = a.cost_sum_usd;
  stats_.latency_observations = a.latency_observations;
  stats_.latency_sum_ms = a.latency_sum_ms;
  stats_.energy_observations = a.energy_observations;
  stats_.energy_sum_j = a.energy_sum_j;
  return absl::OkStatus();
}

}  // namespace router
