// router-replay: evaluates bandit-router on a real routing dataset through the gRPC service.
//
//   router-replay --data datasets/llmrouter/llmrouter-9models.jsonl --seeds 5
//       --sweep "cost_weight=0,0.2,0.4;policy=linucb,thompson" --out eval/llmrouter
//
// Starts routerd in-process (or uses --addr), configures a router whose arms are the dataset's
// models, streams the queries in a seeded random order (Route -> the chosen arm's outcome ->
// Feedback) and writes runs.csv, baselines.csv, regret.csv, summary.md, frontier.svg and
// regret.svg into --out. See docs/evaluation.md.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "services/server.h"
#include "tools/replay/baselines.h"
#include "tools/replay/dataset.h"
#include "tools/replay/replay.h"
#include "tools/replay/report.h"

ABSL_FLAG(std::string, data, "", "dataset (JSONL, format of datasets/README.md); required");
ABSL_FLAG(std::string, out, "replay-out", "directory for the CSV, markdown and SVG outputs");
ABSL_FLAG(std::string, split, "", "stream only the queries of this split (empty: all)");
ABSL_FLAG(std::string, warm_split, "",
          "warm start: import this split's outcomes (every arm) before the stream");
ABSL_FLAG(int, limit, 0, "stream only the first N queries (file order) of the split; 0: all");
ABSL_FLAG(int, seeds, 1, "runs per config with seeds 1..N (stream order and policy seed)");
ABSL_FLAG(std::string, sweep, "",
          "settings to sweep, 'key=v1,v2;key2=...'; a key is a RouterConfig field path "
          "(weights.cost, policy.kind, features.dim, ...) or an alias: cost_weight, policy, "
          "alpha, epsilon, min_tries, lambda, dim. The first key is the x of each curve.");
ABSL_FLAG(std::string, set, "", "fixed settings for every run, 'key=value;key2=value2'");
ABSL_FLAG(std::string, addr, "",
          "use this routerd instead of an in-process one (one run only; the router must exist "
          "with the dataset's arms: see --print_config)");
ABSL_FLAG(std::string, router, "replay", "router name");
ABSL_FLAG(std::string, work_dir, "/tmp", "where in-process routerd data dirs are created");
ABSL_FLAG(double, correct_threshold, 0.5, "quality at which an answer counts as correct");
ABSL_FLAG(int, trace_points, 200, "points per regret curve");
ABSL_FLAG(std::string, title, "", "title of the report (default: dataset file name and mode)");
ABSL_FLAG(bool, print_config, false,
          "print the routerd config (text proto) the replay would use, then exit");
ABSL_FLAG(bool, write_decisions, false, "also write decisions.csv (every run's arm per query)");
ABSL_FLAG(bool, progress, true, "progress bar on stderr (only when stderr is a terminal)");

namespace {

namespace rp = ::router::replay;
namespace v1 = ::router::v1;

using Setting = std::pair<std::string, std::string>;

int Fail(const std::string& message) {
  std::cerr << "router-replay: " << message << std::endl;
  return 2;
}

// Short names for the settings swept most often.
Setting Resolve(const Setting& s) {
  static const std::map<std::string, std::string> kAliases = {
      {"cost_weight", "weights.cost"}, {"policy", "policy.kind"},
      {"alpha", "policy.alpha"},       {"epsilon", "policy.epsilon"},
      {"min_tries", "policy.min_tries"}, {"lambda", "policy.lambda"},
      {"dim", "features.dim"}};
  auto it = kAliases.find(s.first);
  Setting out{it == kAliases.end() ? s.first : it->second, s.second};
  if (out.first == "policy.kind") out.second = absl::AsciiStrToUpper(out.second);
  return out;
}

bool ParseSettings(const std::string& text, bool multi,
                   std::vector<std::pair<std::string, std::vector<std::string>>>* out,
                   std::string* error) {
  for (absl::string_view part : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    std::vector<std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      *error = absl::StrCat("'", part, "' is not key=value");
      return false;
    }
    std::vector<std::string> values;
    if (multi) {
      values = absl::StrSplit(kv[1], ',', absl::SkipWhitespace());
    } else {
      values.push_back(kv[1]);
    }
    out->emplace_back(std::string(absl::StripAsciiWhitespace(kv[0])), values);
  }
  return true;
}

struct RunPlan {
  std::vector<Setting> settings;  // as the user wrote them
  std::string config;
  std::string series;
};

std::vector<RunPlan> Plans(const std::vector<std::pair<std::string, std::vector<std::string>>>& sweep) {
  std::vector<RunPlan> plans = {RunPlan{}};
  for (const auto& [key, values] : sweep) {
    std::vector<RunPlan> next;
    for (const RunPlan& p : plans) {
      for (const std::string& v : values) {
        RunPlan q = p;
        q.settings.emplace_back(key, v);
        next.push_back(q);
      }
    }
    plans = next;
  }
  for (RunPlan& p : plans) {
    std::vector<std::string> all, rest;
    for (size_t i = 0; i < p.settings.size(); ++i) {
      const std::string kv = absl::StrCat(p.settings[i].first, "=", p.settings[i].second);
      all.push_back(kv);
      if (i > 0) rest.push_back(kv);
    }
    p.config = all.empty() ? "default" : absl::StrJoin(all, " ");
    p.series = absl::StrJoin(rest, " ");
  }
  return plans;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "router-replay --data FILE [--split test --warm_split train] [--seeds 5] "
      "[--sweep 'cost_weight=0,0.2;policy=linucb,thompson'] [--out DIR]");
  absl::ParseCommandLine(argc, argv);
  router::services::ConfigureServingProcess();
  // As a shell command line: arguments with shell syntax in them are single-quoted.
  const std::string command =
      absl::StrJoin(argv, argv + argc, " ", [](std::string* out, const char* arg) {
        const std::string a = arg;
        const bool quote = a.find_first_of(" ;*?&|<>()$'\"") != std::string::npos;
        absl::StrAppend(out, quote ? absl::StrCat("'", a, "'") : a);
      });
  if (absl::GetFlag(FLAGS_data).empty()) return Fail("--data is required (see --help)");

  absl::StatusOr<rp::Dataset> data = rp::ReadDataset(absl::GetFlag(FLAGS_data));
  if (!data.ok()) return Fail(std::string(data.status().message()));
  if (data->clamped_qualities > 0) {
    std::cerr << "router-replay: note: " << data->clamped_qualities
              << " outcome(s) had a quality outside [0, 1]; clamped into it\n";
  }
  std::vector<int> stream = rp::SplitIndices(*data, absl::GetFlag(FLAGS_split));
  const int limit = absl::GetFlag(FLAGS_limit);
  if (limit > 0 && static_cast<int>(stream.size()) > limit) stream.resize(limit);
  std::vector<int> warm;
  if (!absl::GetFlag(FLAGS_warm_split).empty()) {
    warm = rp::SplitIndices(*data, absl::GetFlag(FLAGS_warm_split));
    if (warm.empty()) return Fail("--warm_split selects no query");
  }
  if (stream.empty()) return Fail("--split selects no query");
  for (int i : stream) {
    for (const auto& o : data->queries[i].outcomes) {
      if (!o) return Fail("baselines need every arm's outcome on every streamed query");
    }
  }

  std::string error;
  std::vector<std::pair<std::string, std::vector<std::string>>> sweep, fixed;
  if (!ParseSettings(absl::GetFlag(FLAGS_sweep), true, &sweep, &error) ||
      !ParseSettings(absl::GetFlag(FLAGS_set), false, &fixed, &error)) {
    return Fail(error);
  }
  const v1::RouterConfig base = rp::BuildRouterConfig(*data, absl::GetFlag(FLAGS_router));
  const std::vector<RunPlan> plans = Plans(sweep);
  const int seeds = std::max(1, absl::GetFlag(FLAGS_seeds));

  auto config_for = [&](const RunPlan& plan, uint64_t seed) -> absl::StatusOr<v1::RouterConfig> {
    v1::RouterConfig config = base;
    config.mutable_policy()->set_seed(seed);
    for (const auto& [key, values] : fixed) {
      const Setting s = Resolve({key, values[0]});
      if (auto st = rp::ApplySetting(s.first, s.second, &config); !st.ok()) return st;
    }
    for (const Setting& raw : plan.settings) {
      const Setting s = Resolve(raw);
      if (auto st = rp::ApplySetting(s.first, s.second, &config); !st.ok()) return st;
    }
    return config;
  };

  if (absl::GetFlag(FLAGS_print_config)) {
    absl::StatusOr<v1::RouterConfig> config = config_for(plans[0], 1);
    if (!config.ok()) return Fail(std::string(config.status().message()));
    v1::ServerConfig server;
    *server.add_routers() = *config;
    std::string text;
    google::protobuf::TextFormat::PrintToString(server, &text);
    std::cout << text;
    return 0;
  }
  const bool remote = !absl::GetFlag(FLAGS_addr).empty();
  if (remote && plans.size() * seeds > 1) {
    return Fail("with --addr the router's state carries over between runs: give one config and "
                "--seeds 1 (or use the in-process server for sweeps)");
  }

  rp::Report report;
  report.data = &*data;
  report.command = command;
  report.baselines = rp::ComputeBaselines(*data, stream, absl::GetFlag(FLAGS_correct_threshold));
  report.warm_queries = static_cast<int>(warm.size());
  report.write_decisions = absl::GetFlag(FLAGS_write_decisions);
  std::string file = absl::GetFlag(FLAGS_data);
  file = file.substr(file.find_last_of('/') + 1);
  report.title = absl::GetFlag(FLAGS_title);
  if (report.title.empty()) {
    report.title = absl::StrFormat(
        "%s, %s, %d queries", file,
        warm.empty() ? "cold start"
                     : absl::StrCat("warm start from '", absl::GetFlag(FLAGS_warm_split), "'"),
        stream.size());
  }

  const bool show_progress = absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO);
  const int total_runs = static_cast<int>(plans.size()) * seeds;
  int run_index = 0;
  for (const RunPlan& plan : plans) {
    for (int seed = 1; seed <= seeds; ++seed) {
      ++run_index;
      absl::StatusOr<v1::RouterConfig> config = config_for(plan, seed);
      if (!config.ok()) return Fail(std::string(config.status().message()));
      rp::ReplayOptions options;
      options.addr = absl::GetFlag(FLAGS_addr);
      options.work_dir = absl::GetFlag(FLAGS_work_dir);
      options.router = absl::GetFlag(FLAGS_router);
      options.router_config = *config;
      options.warm = warm;
      options.stream = rp::ShuffledOrder(stream, seed);
      const absl::Time start = absl::Now();
      if (show_progress) {
        options.progress = [&](int done, int total) {
          const int width = 30;
          const int filled = total > 0 ? width * done / total : width;
          const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
          std::fprintf(stderr, "\r[run %d/%d] %s seed %d [%s%s] %d/%d %.0f q/s ", run_index,
                       total_runs, plan.config.c_str(), seed, std::string(filled, '#').c_str(),
                       std::string(width - filled, '.').c_str(), done, total,
                       elapsed > 0 ? done / elapsed : 0.0);
          std::fflush(stderr);
        };
      }
      absl::StatusOr<rp::ReplayRun> run = rp::RunReplay(*data, options);
      if (show_progress) std::fprintf(stderr, "\r\033[K");
      if (!run.ok()) {
        return Fail(absl::StrCat("run '", plan.config, "' seed ", seed, ": ",
                                 run.status().ToString()));
      }
      rp::RunRecord record;
      record.config = plan.config;
      record.series = plan.series;
      record.seed = seed;
      const v1::ObjectiveWeights& w = config->weights();
      record.utility.quality_weight = w.has_quality() ? w.quality() : 1.0;
      record.utility.cost_weight = w.cost();
      record.utility.cost_scale_usd = w.has_cost_scale_usd() ? w.cost_scale_usd() : 1.0;
      record.metrics = rp::Analyze(*data, report.baselines, options.stream, run->chosen,
                                   record.utility, absl::GetFlag(FLAGS_trace_points));
      record.run = *std::move(run);
      record.order = options.stream;
      std::cerr << absl::StrFormat(
          "[run %d/%d] %s seed %d: quality %.1f%% cost %.1f%% of the best single model, "
          "%.0f queries/s\n",
          run_index, total_runs, plan.config, seed, 100 * record.metrics.rel_quality,
          100 * record.metrics.rel_cost,
          record.run.stream_seconds > 0 ? record.metrics.queries / record.run.stream_seconds
                                        : 0.0);
      report.runs.push_back(std::move(record));
    }
  }
  if (auto s = rp::WriteReport(report, absl::GetFlag(FLAGS_out)); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  std::cout << rp::SummaryMarkdown(report);
  return 0;
}
