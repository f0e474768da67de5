#ifndef BANDIT_ROUTER_SERVICES_METRICS_H_
#define BANDIT_ROUTER_SERVICES_METRICS_H_

#include <array>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/engine.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace router::services {

enum class Rpc {
  kRoute,
  kFeedback,
  kStreamFeedback,
  kListRouters,
  kAddArm,
  kSetArmState,
  kImportOutcomes,
  kGetModel,
  kBackup,
  kEscalate
};
inline constexpr int kRpcCount = 10;

// Every routerd metric, registered on an injected registry (no globals). Per-arm series are
// created when an arm appears and then found through a small map, never re-registered by
// label set on the request path. Thread-safe.
class Metrics {
 public:
  explicit Metrics(prometheus::Registry& registry);

  // Creates the series of a router and its arms. grid_intensity_g_per_kwh converts energy to
  // CO₂. (Series that mirror the engine's state, like regret, are read at scrape time by
  // RouterStateMetrics.)
  void AddRouter(const RouterStats& stats, double grid_intensity_g_per_kwh);
  // Creates the series of an arm added at run time (idempotent).
  void AddArm(const std::string& router, const std::string& arm);

  void RecordDecision(const RouteResult& result);
  void RecordFeedback(const Signals& signals, const FeedbackResult& result);
  // A feedback event that was not applied: why, by status code.
  void RecordFeedbackRejected(absl::StatusCode code);
  // A feedback event refused because its decision had expired (outcome="expired").
  void RecordFeedbackExpired();
  void RecordRpc(Rpc rpc, absl::StatusCode code, absl::Duration elapsed);

 private:
  struct ArmSeries {
    prometheus::Counter* decisions;
    prometheus::Counter* explored;
    prometheus::Counter* cost_usd;
    prometheus::Counter* quality_sum;
    prometheus::Counter* quality_count;
    prometheus::Counter* latency_ms_sum;
    prometheus::Counter* energy_j_sum;
    prometheus::Counter* co2_g;
    prometheus::Counter* posterior_width_sum;
    prometheus::Counter* posterior_width_count;
  };
  struct RouterSeries {
    absl::flat_hash_map<std::string, ArmSeries> arms;
    prometheus::Counter* feedback_signals[7];  // indexed like kSignals in metrics.cc
    double grid_intensity_g_per_kwh = 0;
  };
  ArmSeries& AddArmLocked(const std::string& router, const std::string& arm)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ArmSeries* FindArm(const std::string& router, const std::string& arm)
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Family<prometheus::Counter>& explored_;
  prometheus::Family<prometheus::Counter>& cost_;
  prometheus::Family<prometheus::Counter>& quality_sum_;
  prometheus::Family<prometheus::Counter>& quality_count_;
  prometheus::Family<prometheus::Counter>& latency_sum_;
  prometheus::Family<prometheus::Counter>& energy_sum_;
  prometheus::Family<prometheus::Counter>& feedback_signals_;
  prometheus::Family<prometheus::Counter>& feedback_events_;
  prometheus::Family<prometheus::Counter>& rpc_errors_;
  prometheus::Family<prometheus::Histogram>& rpc_latency_;
  prometheus::Family<prometheus::Histogram>& join_lag_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Counter>& co2_;
  prometheus::Family<prometheus::Counter>& posterior_width_sum_;
  prometheus::Family<prometheus::Counter>& posterior_width_count_;

  std::array<prometheus::Histogram*, kRpcCount> rpc_latency_by_rpc_{};
  prometheus::Counter* feedback_applied_;
  prometheus::Counter* feedback_duplicate_;
  prometheus::Counter* feedback_expired_;
  prometheus::Histogram* join_lag_seconds_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, RouterSeries> routers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int, prometheus::Counter*> rejected_by_code_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int, prometheus::Counter*> errors_by_rpc_code_ ABSL_GUARDED_BY(mu_);
};

const char* RpcName(Rpc rpc);

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_METRICS_H_
