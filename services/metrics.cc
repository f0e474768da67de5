#include "services/metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace router::services {
namespace {

// Signals, in the order of RouterSeries::feedback_signals.
constexpr const char* kSignals[] = {"thumbs",   "judge_score", "latency_ms",   "energy_j",
                                    "cost_usd", "input_tokens", "output_tokens"};

prometheus::Histogram::BucketBoundaries ExponentialBuckets(double start, double factor,
                                                           int count) {
  prometheus::Histogram::BucketBoundaries b;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) b.push_back(v);
  return b;
}

std::string CodeName(absl::StatusCode code) {
  return absl::AsciiStrToLower(absl::StatusCodeToString(code));
}

}  // namespace

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kRoute: return "Route";
    case Rpc::kFeedback: return "Feedback";
    case Rpc::kStreamFeedback: return "StreamFeedback";
    case Rpc::kListRouters: return "ListRouters";
    case Rpc::kAddArm: return "AddArm";
    case Rpc::kSetArmState: return "SetArmState";
    case Rpc::kImportOutcomes: return "ImportOutcomes";
    case Rpc::kGetModel: return "GetModel";
    case Rpc::kBackup: return "Backup";
    case Rpc::kEscalate: return "Escalate";
  }
  return "unknown";
}

Metrics::Metrics(prometheus::Registry& registry)
    : decisions_(prometheus::BuildCounter()
                     .Name("router_decisions_total")
                     .Help("Route decisions, by router and chosen arm")
                     .Register(registry)),
      explored_(prometheus::BuildCounter()
                    .Name("router_exploratory_decisions_total")
                    .Help("Decisions where the chosen arm was not the best-scoring one")
                    .Register(registry)),
      cost_(prometheus::BuildCounter()
                .Name("router_cost_usd_total")
                .Help("Cost in USD reported by feedback (or priced from tokens), by arm")
                .Register(registry)),
      quality_sum_(prometheus::BuildCounter()
                       .Name("router_quality_sum")
                       .Help("Sum of quality observations (judge scores, thumbs as 1/0)")
                       .Register(registry)),
      quality_count_(prometheus::BuildCounter()
                         .Name("router_quality_observations_total")
                         .Help("Number of quality observations")
                         .Register(registry)),
      latency_sum_(prometheus::BuildCounter()
                       .Name("router_latency_ms_sum")
                       .Help("Sum of reported LLM latencies in milliseconds")
                       .Register(registry)),
      energy_sum_(prometheus::BuildCounter()
                      .Name("router_energy_joules_total")
                      .Help("Energy in joules reported by feedback")
                      .Register(registry)),
      feedback_signals_(prometheus::BuildCounter()
                            .Name("router_feedback_signals_total")
                            .Help("Applied feedback signals, by router and signal")
                            .Register(registry)),
      feedback_events_(prometheus::BuildCounter()
                           .Name("router_feedback_events_total")
                           .Help("Feedback events by outcome (applied, duplicate, expired, or the "
                                 "rejection's status code)")
                           .Register(registry)),
      rpc_errors_(prometheus::BuildCounter()
                      .Name("router_rpc_errors_total")
                      .Help("RPCs that ended with a non-OK status, by rpc and code")
                      .Register(registry)),
      rpc_latency_(prometheus::BuildHistogram()
                       .Name("router_rpc_duration_seconds")
                       .Help("Server-side RPC handling time")
                       .Register(registry)),
      join_lag_(prometheus::BuildHistogram()
                    .Name("router_feedback_join_lag_seconds")
                    .Help("Time from a decision to a feedback event for it")
                    .Register(registry)),
      build_info_(prometheus::BuildGauge()
                      .Name("router_build_info")
                      .Help("Always 1; labelled with the routerd version")
                      .Register(registry)),
      co2_(prometheus::BuildCounter()
               .Name("router_co2_grams_total")
               .Help("CO2 in grams: reported energy times the router's grid intensity")
               .Register(registry)),
      posterior_width_sum_(prometheus::BuildCounter()
                               .Name("router_posterior_width_sum")
                               .Help("Sum over ranked arms of sqrt(x'A^-1 x) of the quality "
                                     "model; divide by _count for the mean width")
                               .Register(registry)),
      posterior_width_count_(prometheus::BuildCounter()
                                 .Name("router_posterior_width_count")
                                 .Help("Number of posterior width samples")
                                 .Register(registry)) {
  const auto latency_buckets = ExponentialBuckets(10e-6, 2.0, 18);  // 10 µs .. 1.3 s
  for (int i = 0; i < kRpcCount; ++i) {
    rpc_latency_by_rpc_[i] =
        &rpc_latency_.Add({{"rpc", RpcName(static_cast<Rpc>(i))}}, latency_buckets);
  }
  feedback_applied_ = &feedback_events_.Add({{"outcome", "applied"}});
  feedback_duplicate_ = &feedback_events_.Add({{"outcome", "duplicate"}});
  feedback_expired_ = &feedback_events_.Add({{"outcome", "expired"}});
  join_lag_seconds_ = &join_lag_.Add({}, ExponentialBuckets(0.01, 4.0, 12));  // 10 ms .. 12 h
  build_info_.Add({{"version", BANDIT_ROUTER_VERSION}}).Set(1);
}

void Metrics::AddRouter(const RouterStats& stats, double grid_intensity_g_per_kwh) {
  absl::MutexLock lock(&mu_);
  RouterSeries& series = routers_[stats.name];
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    series.feedback_signals[i] =
        &feedback_signals_.Add({{"router", stats.name}, {"signal", kSignals[i]}});
  }
  series.grid_intensity_g_per_kwh = grid_intensity_g_per_kwh;
  for (const ArmStats& arm : stats.arms) AddArmLocked(stats.name, arm.spec.id);
}

void Metrics::AddArm(const std::string& router, const std::string& arm) {
  absl::MutexLock lock(&mu_);
  AddArmLocked(router, arm);
}

Metrics::ArmSeries& Metrics::AddArmLocked(const std::string& router, const std::string& arm) {
  auto& arms = routers_[router].arms;
  auto it = arms.find(arm);
  if (it != arms.end()) return it->second;
  const prometheus::Labels labels = {{"router", router}, {"arm", arm}};
  ArmSeries series{&decisions_.Add(labels),           &explored_.Add(labels),
                   &cost_.Add(labels),                &quality_sum_.Add(labels),
                   &quality_count_.Add(labels),       &latency_sum_.Add(labels),
                   &energy_sum_.Add(labels),          &co2_.Add(labels),
                   &posterior_width_sum_.Add(labels), &posterior_width_count_.Add(labels)};
  return arms.emplace(arm, series).first->second;
}


Metrics::ArmSeries* Metrics::FindArm(const std::string& router, const std::string& arm) {
  auto r = routers_.find(router);
  if (r == routers_.end()) return nullptr;
  auto a = r->second.arms.find(arm);
  return a == r->second.arms.end() ? nullptr : &a->second;
}

void Metrics::RecordDecision(const RouteResult& result) {
  absl::ReaderMutexLock lock(&mu_);
  auto router = routers_.find(result.decision.router);
  if (router == routers_.end()) return;
  ArmSeries* arm = FindArm(result.decision.router, result.decision.arm);
  if (arm == nullptr) return;
  arm->decisions->Increment();
  if (result.decision.explored) arm->explored->Increment();
  for (const ArmScore& score : result.ranking) {
    ArmSeries* ranked = FindArm(result.decision.router, score.arm);
    if (ranked == nullptr) continue;
    ranked->posterior_width_sum->Increment(score.posterior_sd);
    ranked->posterior_width_count->Increment();
  }
}

void Metrics::RecordFeedback(const Signals& signals, const FeedbackResult& result) {
  if (result.duplicate) {
    feedback_duplicate_->Increment();
    return;
  }
  feedback_applied_->Increment();
  join_lag_seconds_->Observe(absl::ToDoubleSeconds(result.join_lag));
  if (!result.learned) return;
  const LearnOutcome& l = *result.learned;
  absl::ReaderMutexLock lock(&mu_);
  auto router = routers_.find(l.router);
  if (router == routers_.end()) return;
  const RouterSeries& series = router->second;
  const bool present[] = {signals.thumbs != ThumbsSignal::kNone, signals.judge_score.has_value(),
                          signals.latency_ms.has_value(),        signals.energy_j.has_value(),
                          signals.cost_usd.has_value(),          signals.input_tokens.has_value(),
                          signals.output_tokens.has_value()};
  for (size_t i = 0; i < std::size(present); ++i) {
    if (present[i]) series.feedback_signals[i]->Increment();
  }
  ArmSeries* arm = FindArm(l.router, l.arm);
  if (arm == nullptr) return;
  if (l.quality) {
    arm->quality_sum->Increment(*l.quality * l.quality_observations);
    arm->quality_count->Increment(l.quality_observations);
  }
  if (l.cost_usd) arm->cost_usd->Increment(*l.cost_usd);
  if (l.latency_ms) arm->latency_ms_sum->Increment(*l.latency_ms);
  if (l.energy_j) {
    arm->energy_j_sum->Increment(*l.energy_j);
    // 1 kWh = 3.6e6 J.
    arm->co2_g->Increment(*l.energy_j * series.grid_intensity_g_per_kwh / 3.6e6);
  }
}

void Metrics::RecordFeedbackRejected(absl::StatusCode code) {
  absl::MutexLock lock(&mu_);
  auto& counter = rejected_by_code_[static_cast<int>(code)];
  if (counter == nullptr) counter = &feedback_events_.Add({{"outcome", CodeName(code)}});
  counter->Increment();
}

void Metrics::RecordFeedbackExpired() { feedback_expired_->Increment(); }

void Metrics::RecordRpc(Rpc rpc, absl::StatusCode code, absl::Duration elapsed) {
  rpc_latency_by_rpc_[static_cast<int>(rpc)]->Observe(absl::ToDoubleSeconds(elapsed));
  if (code == absl::StatusCode::kOk) return;
  absl::MutexLock lock(&mu_);
  auto& counter = errors_by_rpc_code_[static_cast<int>(rpc) * 100 + static_cast<int>(code)];
  if (counter == nullptr) {
    counter = &rpc_errors_.Add({{"rpc", RpcName(rpc)}, {"code", CodeName(code)}});
  }
  counter->Increment();
}

}  // namespace router::services
