#ifndef BANDIT_ROUTER_TOOLS_REPLAY_REPORT_H_
#define BANDIT_ROUTER_TOOLS_REPLAY_REPORT_H_

// What a replay run achieved against the baselines (quality, cost, regret), and the files a
// replay writes: runs.csv, baselines.csv, regret.csv, summary.md, frontier.svg, regret.svg.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/replay/baselines.h"
#include "tools/replay/dataset.h"
#include "tools/replay/replay.h"

namespace router::replay {

// The router's objective, to measure regret in: u = w_q·quality − w_c·cost / cost_scale.
struct Utility {
  double quality_weight = 1;
  double cost_weight = 0;
  double cost_scale_usd = 1;
};

struct RunMetrics {
  int queries = 0;
  double quality = 0;  // mean per query
  double cost = 0;     // mean USD per query
  // Relative to the best single model on the same queries.
  double rel_quality = 0;
  double rel_cost = 0;
  // The mixture frontier at this run's cost (relative quality; NaN if cheaper than any model),
  // and the relative cost the frontier needs for this run's quality (inf if out of reach).
  double mixture_rel_quality = 0;
  double mixture_rel_cost = 0;
  // Cumulative utility regret against the per-query utility oracle, in total and per half of
  // the stream, and against the best fixed arm in hindsight (under the same utility).
  double regret_oracle = 0;
  double regret_oracle_first_half = 0;
  double regret_oracle_second_half = 0;
  double regret_best_single = 0;
  // Cumulative regrets at trace_points + 1 evenly spaced steps (0 and n included).
  std::vector<double> trace_steps;
  std::vector<double> trace_oracle;
  std::vector<double> trace_best_single;
};

RunMetrics Analyze(const Dataset& data, const Baselines& baselines, const std::vector<int>& order,
                   const std::vector<int>& chosen, const Utility& utility, int trace_points);

struct RunRecord {
  std::string config;  // the swept settings, "key=value ..." ("default" when none)
  std::string series;  // the config without the first swept setting: one curve per series
  uint64_t seed = 0;
  // The run's spend target as a fraction of the best single model's mean cost (--spend_targets).
  std::optional<double> spend_target;
  Utility utility;
  RunMetrics metrics;
  std::vector<int> order;  // query indices in stream order
  ReplayRun run;
};

struct Report {
  std::string title;    // e.g. "llmrouter-9models, cold start, all 6108 queries"
  std::string command;  // how to reproduce
  const Dataset* data = nullptr;
  Baselines baselines;
  int warm_queries = 0;
  std::vector<RunRecord> runs;
  // Also write decisions.csv: every run's chosen arm per query (large for big sweeps).
  bool write_decisions = false;
};

// The markdown summary: baselines, the headline table of quality at each spend target (runs with
// a spend target: realised cost, the mixture frontier at that cost, the margin, per-seed ranges),
// then one row per config with the mean over seeds.
std::string SummaryMarkdown(const Report& report);

// Writes every output file into `dir` (created if missing): runs.csv (one row per run),
// baselines.csv, regret.csv (the sampled regret curves), summary.md, frontier.svg, regret.svg,
// and with write_decisions decisions.csv (config, seed, step, query id, arm, quality, cost).
[[nodiscard]] absl::Status WriteReport(const Report& report, const std::string& dir);

}  // namespace router::replay

#endif  // BANDIT_ROUTER_TOOLS_REPLAY_REPORT_H_
