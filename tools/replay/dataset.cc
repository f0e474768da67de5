#include "tools/replay/dataset.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace router::replay {
namespace {

using Json = nlohmann::json;

struct RawQuery {
  int clamped = 0;
  Query query;
  std::map<std::string, Outcome> outcomes;
};

std::optional<double> OptionalNumber(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<uint64_t> OptionalCount(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number() || it->get<double>() < 0) return std::nullopt;
  return static_cast<uint64_t>(std::llround(it->get<double>()));
}

std::string OptionalString(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

absl::StatusOr<RawQuery> ParseLine(const std::string& line) {
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  RawQuery raw;
  raw.query.id = OptionalString(j, "id");
  if (raw.query.id.empty()) return absl::InvalidArgumentError("missing \"id\"");
  raw.query.text = OptionalString(j, "text");
  if (raw.query.text.empty()) return absl::InvalidArgumentError("missing \"text\"");
  raw.query.task = OptionalString(j, "task");
  raw.query.split = OptionalString(j, "split");
  auto outcomes = j.find("outcomes");
  if (outcomes == j.end() || !outcomes->is_object() || outcomes->empty()) {
    return absl::InvalidArgumentError("missing or empty \"outcomes\" object");
  }
  for (const auto& [arm, o] : outcomes->items()) {
    if (!o.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("outcome of arm '", arm, "' is not an object"));
    }
    std::optional<double> quality = OptionalNumber(o, "quality");
    std::optional<double> cost = OptionalNumber(o, "cost_usd");
    if (!quality || !std::isfinite(*quality)) {
      return absl::InvalidArgumentError(
          absl::StrCat("arm '", arm, "': \"quality\" must be a number"));
    }
    if (!cost || !(std::isfinite(*cost) && *cost >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("arm '", arm, "': \"cost_usd\" must be a number >= 0"));
    }
    Outcome out;
    // Scores slightly outside [0, 1] occur in real data (a partial-credit metric went below 0
    // once in routerarena); they are clamped and counted rather than rejected.
    out.quality = std::clamp(*quality, 0.0, 1.0);
    if (out.quality != *quality) ++raw.clamped;
    out.cost_usd = *cost;
    out.input_tokens = OptionalCount(o, "input_tokens");
    out.output_tokens = OptionalCount(o, "output_tokens");
    out.latency_ms = OptionalNumber(o, "latency_ms");
    out.energy_j = OptionalNumber(o, "energy_j");
    out.verifier_score = OptionalNumber(o, "verifier_score");
    if (out.verifier_score) out.verifier_score = std::clamp(*out.verifier_score, 0.0, 1.0);
    raw.outcomes[arm] = out;
  }
  return raw;
}

}  // namespace

int Dataset::ArmIndex(const std::string& arm) const {
  auto it = std::lower_bound(arms.begin(), arms.end(), arm);
  return it != arms.end() && *it == arm ? static_cast<int>(it - arms.begin()) : -1;
}

bool Dataset::Complete() const {
  for (const Query& q : queries) {
    for (const auto& o : q.outcomes) {
      if (!o) return false;
    }
  }
  return true;
}

absl::StatusOr<Dataset> ReadDataset(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read dataset ", path));
  std::vector<RawQuery> raws;
  absl::flat_hash_set<std::string> ids;
  std::map<std::string, int> arm_set;
  int clamped = 0;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::StatusOr<RawQuery> raw = ParseLine(line);
    if (!raw.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d: %s", path, line_no, raw.status().message()));
    }
    if (!ids.insert(raw->query.id).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d: duplicate id '%s'", path, line_no, raw->query.id));
    }
    for (const auto& [arm, unused] : raw->outcomes) arm_set[arm] = 0;
    clamped += raw->clamped;
    raws.push_back(*std::move(raw));
  }
  if (raws.empty()) return absl::InvalidArgumentError(absl::StrCat("dataset ", path, " is empty"));

  Dataset data;
  data.path = path;
  data.clamped_qualities = clamped;
  for (const auto& [arm, unused] : arm_set) data.arms.push_back(arm);
  data.queries.reserve(raws.size());
  for (RawQuery& raw : raws) {
    raw.query.outcomes.resize(data.arms.size());
    for (auto& [arm, outcome] : raw.outcomes) {
      raw.query.outcomes[data.ArmIndex(arm)] = outcome;
    }
    data.queries.push_back(std::move(raw.query));
  }
  return data;
}

std::vector<int> SplitIndices(const Dataset& data, const std::string& split) {
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(data.queries.size()); ++i) {
    if (split.empty() || data.queries[i].split == split) out.push_back(i);
  }
  return out;
}

}  // namespace router::replay
