#include "services/router_state_metrics.h"

namespace router::services {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void Add(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family.metric.push_back(std::move(m));
}

}  // namespace

std::vector<MetricFamily> RouterStateMetrics::Collect() const {
  MetricFamily joined = Family("router_decisions_joined_total",
                               "Decisions that received at least one feedback event (or a "
                               "default reward)",
                               MetricType::Counter);
  MetricFamily pending = Family("router_pending_decisions",
                                "Logged decisions that have neither received feedback nor "
                                "expired",
                                MetricType::Gauge);
  MetricFamily realised = Family("router_realised_quality",
                                 "Sum of quality observed over rewarded events (all time)",
                                 MetricType::Gauge);
  MetricFamily rewarded = Family("router_rewarded_events",
                                 "Feedback events that carried a quality signal (all time)",
                                 MetricType::Gauge);
  MetricFamily ips = Family("router_ips_value",
                            "Inverse-propensity estimate of the total quality an arm would have "
                            "earned if always chosen, over the rewarded decisions",
                            MetricType::Gauge);
  MetricFamily estimated = Family("router_estimated_regret",
                                  "Estimated regret vs the best fixed arm: max_a ips_value - "
                                  "realised_quality (all time)",
                                  MetricType::Gauge);
  MetricFamily exact = Family("router_exact_regret_total",
                              "Sum of best arm quality minus chosen arm quality, over feedback "
                              "that carried every arm's outcome",
                              MetricType::Counter);
  MetricFamily exact_events = Family("router_exact_regret_events_total",
                                     "Feedback events that carried every arm's outcome",
                                     MetricType::Counter);
  MetricFamily multiplier = Family("router_spend_multiplier",
                                   "Lagrange multiplier added to the cost weight to hold the "
                                   "router's spend target (0 without a target)",
                                   MetricType::Gauge);
  MetricFamily target = Family("router_spend_target_usd",
                               "Configured mean cost per request the router steers toward, USD "
                               "(0: none)",
                               MetricType::Gauge);

  for (const RouterStats& s : engine_->ListRouters()) {
    const std::vector<ClientMetric::Label> r = {{"router", s.name}};
    const uint64_t closed = s.joined_decisions + s.expired_unanswered;
    Add(joined, r, static_cast<double>(s.joined_decisions));
    Add(pending, r, s.decisions > closed ? static_cast<double>(s.decisions - closed) : 0.0);
    Add(realised, r, s.regret.realised_quality);
    Add(rewarded, r, static_cast<double>(s.regret.rewarded_events));
    Add(estimated, r, s.regret.estimated_regret);
    Add(exact, r, s.regret.exact_regret);
    Add(exact_events, r, static_cast<double>(s.regret.exact_regret_events));
    Add(multiplier, r, s.spend_multiplier);
    Add(target, r, s.spend_target_usd);
    for (const ArmStats& arm : s.arms) {
      double value = 0;
      for (const auto& [id, v] : s.regret.ips_value) {
        if (id == arm.spec.id) value = v;
      }
      Add(ips, {{"router", s.name}, {"arm", arm.spec.id}}, value);
    }
  }
  return {joined, pending, realised, rewarded, ips, estimated, exact, exact_events, multiplier,
          target};
}

}  // namespace router::services
