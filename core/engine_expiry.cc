// Engine expiry: the TTL sweep that deletes old decisions and learns their default reward.

#include <limits>

#include "absl/strings/str_cat.h"
#include "core/engine.h"
#include "core/status_macros.h"

namespace router {
namespace {

// Decisions expired before the sweep deleted them per call, so one sweep step holds the
// feedback lock only briefly.
constexpr size_t kSweepBatch = 1000;

}  // namespace

std::optional<double> Engine::DefaultReward(absl::string_view router) const {
  for (const RouterSpec& spec : specs_) {
    if (spec.name == router) return spec.default_reward;
  }
  return std::nullopt;
}

absl::StatusOr<SweepStats> Engine::SweepExpired() {
  absl::MutexLock one_at_a_time(&sweep_mu_);
  SweepStats stats;
  const absl::Time now = clock_->Now();
  const absl::Time cutoff = now - options_.decision_ttl;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<Decision> batch,
                     store_->ExpiredDecisions(cutoff, std::numeric_limits<uint64_t>::max(),
                                              kSweepBatch));
    if (batch.empty()) break;
    uint64_t covered = 0;
    {
      absl::MutexLock lock(&checkpoint_mu_);
      covered = checkpoint_decision_sequence_;
    }
    // Recovery counts decisions logged after the checkpoint; deleting one of those first would
    // lose it from the counts.
    if (batch.back().sequence > covered) RETURN_IF_ERROR(Checkpoint());
    for (const Decision& d : batch) {
      const std::optional<double> reward = DefaultReward(d.router);
      Router* router = FindRouter(d.router);
      if (router != nullptr && !d.imported && d.feedback_events == 0 &&
          (!reward || d.features.empty())) {
        // Expires unanswered: no longer pending, and never joined.
        accounting_.at(d.router)->expired_unanswered.fetch_add(1);
      }
      if (!reward || router == nullptr || d.imported || d.quality_signals > 0 ||
          d.features.empty()) {
        continue;
      }
      FeedbackEvent event;
      event.decision_id = d.decision_id;
      event.feedback_id = absl::StrCat("default_reward:", d.decision_id);
      event.source = "default_reward";
      event.signals.judge_score = *reward;
      event.received = now;
      absl::MutexLock lock(&feedback_mu_);
      ASSIGN_OR_RETURN(FeedbackResult result, AppendAndLearn(router, d, &event));
      if (!result.duplicate) ++stats.default_rewards;
    }
    RETURN_IF_ERROR(store_->DeleteDecisions(batch));
    stats.expired += batch.size();
    if (batch.size() < kSweepBatch) break;
  }
  return stats;
}

}  // namespace router
