#ifndef BANDIT_ROUTER_TOOLS_REPLAY_REPLAY_H_
#define BANDIT_ROUTER_TOOLS_REPLAY_REPLAY_H_

// Streams dataset queries through a real routerd over gRPC: Route (by text) -> the chosen arm's
// recorded outcome -> Feedback. Only the chosen arm's outcome is revealed, as in production.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "router/v1/config.pb.h"
#include "tools/replay/dataset.h"

namespace router::replay {

// A router config whose arms are the dataset's models. Prices per token are fitted to the data
// (least squares of cost_usd on input and output tokens, per arm); an arm without token counts
// gets an input price that makes its prior cost equal its mean cost. Typical tokens per request
// are the data's means, and cost_scale_usd is the most expensive arm's mean cost, so a cost
// weight of w means "the most expensive model's average bill is worth w quality points".
v1::RouterConfig BuildRouterConfig(const Dataset& data, const std::string& name);

// Sets one field of `config` named by a dotted path, e.g. ("weights.cost", "0.3") or
// ("policy.kind", "THOMPSON"): any scalar or enum field of RouterConfig, so new policy knobs can
// be swept without changing this tool. InvalidArgument names the setting on a bad path / value.
[[nodiscard]] absl::Status ApplySetting(const std::string& path, const std::string& value,
                                        v1::RouterConfig* config);

struct ReplayOptions {
  // routerd to use; empty starts one in-process (a fresh data dir under work_dir per run).
  std::string addr;
  std::string work_dir = "/tmp";
  // Router to route with. In-process, router_config is installed under this name.
  std::string router = "replay";
  v1::RouterConfig router_config;
  // Queries imported as offline evaluations before the stream (warm start), then the queries
  // streamed, in the order given.
  std::vector<int> warm;
  std::vector<int> stream;
  // Every Feedback also carries arm_qualities with every arm's recorded quality on the query.
  bool full_info = false;
  // Cascades (router_config.cascade.max_attempts >= 2): after each tried arm its recorded
  // outcome is reported through Escalate with a verifier score (tools/replay/cascade.h: the
  // dataset's, else simulated with this AUROC and seed), until the router accepts; Feedback
  // then rates the accepted answer.
  double verifier_auroc = 0.8;
  uint64_t verifier_seed = 1;
  // Called now and then with (queries done, total), for a progress bar.
  std::function<void(int, int)> progress;
};

struct ReplayRun {
  std::vector<int> chosen;  // arm index per streamed query, in stream order (cascades: accepted)
  // Cascades: per streamed query the arms tried, in order (empty without cascades).
  std::vector<std::vector<int>> tried;
  int explored = 0;         // decisions the service flagged as exploration
  uint64_t imported_observations = 0;
  double import_seconds = 0;
  double stream_seconds = 0;  // Route + Feedback for every streamed query
};

// Runs one replay. Fails with the server's or the transport's error.
[[nodiscard]] absl::StatusOr<ReplayRun> RunReplay(const Dataset& data,
                                                  const ReplayOptions& options);

// The stream order for a seed: a Fisher–Yates shuffle of `indices` with the portable generator
// of core/random.h, identical on every platform.
std::vector<int> ShuffledOrder(std::vector<int> indices, uint64_t seed);

}  // namespace router::replay

#endif  // BANDIT_ROUTER_TOOLS_REPLAY_REPLAY_H_
