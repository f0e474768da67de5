#ifndef BANDIT_ROUTER_TOOLS_REPLAY_DATASET_H_
#define BANDIT_ROUTER_TOOLS_REPLAY_DATASET_H_

// Routing datasets in the JSONL format of datasets/README.md: one query per line with the
// outcome of every arm (model) that was run on it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace router::replay {

struct Outcome {
  double quality = 0;   // [0, 1]
  double cost_usd = 0;  // >= 0
  std::optional<uint64_t> input_tokens;
  std::optional<uint64_t> output_tokens;
  std::optional<double> latency_ms;
  std::optional<double> energy_j;
  // A verifier's score of this answer in [0, 1] (high: looks right), for cascades; absent:
  // router-replay simulates one (tools/replay/cascade.h).
  std::optional<double> verifier_score;
};

struct Query {
  std::string id;
  std::string task;   // may be empty
  std::string split;  // may be empty
  std::string text;
  // Indexed like Dataset::arms; empty where the arm was not run on this query.
  std::vector<std::optional<Outcome>> outcomes;
};

struct Dataset {
  std::string path;
  std::vector<std::string> arms;  // every arm seen in the file, sorted
  std::vector<Query> queries;     // in file order
  int clamped_qualities = 0;      // outcomes whose quality was outside [0, 1] and was clamped

  // Index of `arm` in `arms`, or -1.
  int ArmIndex(const std::string& arm) const;
  // True when every query has an outcome for every arm.
  bool Complete() const;
};

// Reads a dataset. Unknown fields are ignored and the optional ones may be missing; a quality
// outside [0, 1] is clamped into it (and counted). NotFound if the file cannot be read;
// InvalidArgument naming the line for malformed JSON, a missing id / text / outcomes, a
// duplicate id, a missing quality or a missing / negative cost.
[[nodiscard]] absl::StatusOr<Dataset> ReadDataset(const std::string& path);

// The queries of `split` (all of them when `split` is empty), in file order.
std::vector<int> SplitIndices(const Dataset& data, const std::string& split);

}  // namespace router::replay

#endif  // BANDIT_ROUTER_TOOLS_REPLAY_DATASET_H_
