// router-replay end to end: the real binary (with its in-process routerd, over gRPC) on the first
// few hundred queries of the shared datasets. Every baseline and run number it reports is
// recomputed here from the raw JSONL with independent code (brute-force mixtures instead of a
// hull), and two invocations with the same seeds must agree decision for decision.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/temp_dir.h"

namespace router {
namespace {

using testing::TempDir;

struct Row {
  std::string id;
  std::map<std::string, std::pair<double, double>> outcomes;  // arm -> (quality, cost)
};

std::string DataDir() {
  const char* src = std::getenv("ROUTER_SOURCE_DIR");
  return absl::StrCat(src != nullptr ? src : ".", "/datasets");
}

std::vector<Row> ReadFirst(const std::string& path, int n) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path
                         << " (the datasets live in the repository under datasets/)";
  std::vector<Row> rows;
  std::string line;
  while (static_cast<int>(rows.size()) < n && std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    Row r;
    r.id = j["id"].get<std::string>();
    for (const auto& [arm, o] : j["outcomes"].items()) {
      // The tool clamps qualities into [0, 1] (routerarena has one at -0.033); so does this.
      const double q = std::min(1.0, std::max(0.0, o["quality"].get<double>()));
      r.outcomes[arm] = {q, o["cost_usd"].get<double>()};
    }
    rows.push_back(r);
  }
  return rows;
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing " << path;
  std::vector<std::vector<std::string>> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    for (std::string& c : cells) c.erase(std::remove(c.begin(), c.end(), '"'), c.end());
    out.push_back(cells);
  }
  return out;
}

double Num(const std::string& s) {
  double v = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(absl::SimpleAtod(s, &v)) << s;
  return v;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Point {
  double cost = 0, quality = 0;
};

// The best quality any mixture of the single models reaches at mean cost <= c: an optimal
// mixture needs at most two models, so try every single model and every pair.
double BruteForceMixture(const std::vector<Point>& singles, double c) {
  double best = -1;
  for (const Point& p : singles) {
    if (p.cost <= c) best = std::max(best, p.quality);
  }
  for (const Point& lo : singles) {
    for (const Point& hi : singles) {
      if (lo.cost <= c && c <= hi.cost && hi.cost > lo.cost) {
        const double w = (c - lo.cost) / (hi.cost - lo.cost);
        best = std::max(best, (1 - w) * lo.quality + w * hi.quality);
      }
    }
  }
  return best;
}

int RunTool(const std::string& data, int limit, const std::string& out, const std::string& extra) {
  const std::string cmd = absl::StrCat(ROUTER_REPLAY_BIN, " --data ", data, " --limit ", limit,
                                       " --out ", out, " --work_dir ", out,
                                       " --write_decisions --progress=false ", extra, " > ", out,
                                       ".log 2>&1");
  return std::system(cmd.c_str());
}

void CheckReplay(const std::string& file, int limit) {
  TempDir dir;
  const std::string data = absl::StrCat(DataDir(), "/", file);
  const std::vector<Row> rows = ReadFirst(data, limit);
  ASSERT_EQ(static_cast<int>(rows.size()), limit);
  const std::string out = dir.Sub("a");
  const std::string sweep = " --seeds 2 --sweep 'cost_weight=0,0.5'";
  ASSERT_EQ(RunTool(data, limit, out, sweep), 0) << Slurp(out + ".log");

  // ---- Baselines, recomputed. ----
  std::vector<std::string> arms;
  for (const auto& [arm, unused] : rows[0].outcomes) arms.push_back(arm);
  std::map<std::string, Point> single;
  Point random, oracle, cheapest_correct;
  const double n = limit;
  for (const Row& r : rows) {
    ASSERT_EQ(r.outcomes.size(), arms.size());
    std::string best_arm, cheapest_arm, correct_arm;
    for (const auto& [arm, qc] : r.outcomes) {
      single[arm].quality += qc.first / n;
      single[arm].cost += qc.second / n;
      random.quality += qc.first / n / arms.size();
      random.cost += qc.second / n / arms.size();
      const auto& best = r.outcomes.count(best_arm) ? r.outcomes.at(best_arm) : qc;
      if (best_arm.empty() || qc.first > best.first ||
          (qc.first == best.first && qc.second < best.second)) {
        best_arm = arm;
      }
      if (cheapest_arm.empty() || qc.second < r.outcomes.at(cheapest_arm).second) cheapest_arm = arm;
      if (qc.first >= 0.5 &&
          (correct_arm.empty() || qc.second < r.outcomes.at(correct_arm).second)) {
        correct_arm = arm;
      }
    }
    oracle.quality += r.outcomes.at(best_arm).first / n;
    oracle.cost += r.outcomes.at(best_arm).second / n;
    const auto& cc = r.outcomes.at(correct_arm.empty() ? cheapest_arm : correct_arm);
    cheapest_correct.quality += cc.first / n;
    cheapest_correct.cost += cc.second / n;
  }
  std::string best_single = arms[0];
  std::vector<Point> singles;
  for (const std::string& arm : arms) {
    singles.push_back(single[arm]);
    const Point& b = single[best_single];
    if (single[arm].quality > b.quality ||
        (single[arm].quality == b.quality && single[arm].cost < b.cost)) {
      best_single = arm;
    }
  }
  const Point best = single[best_single];

  std::map<std::string, Point> reported;
  std::vector<Point> vertices;
  for (const auto& cells : ReadCsv(out + "/baselines.csv")) {
    ASSERT_EQ(cells.size(), 5u);
    const Point p{Num(cells[1]), Num(cells[2])};
    reported[cells[0]] = p;
    if (cells[0].rfind("frontier_vertex_", 0) == 0) vertices.push_back(p);
    EXPECT_NEAR(Num(cells[3]), p.cost / best.cost, 1e-9) << cells[0];
    EXPECT_NEAR(Num(cells[4]), p.quality / best.quality, 1e-9) << cells[0];
  }
  auto expect_point = [&](const std::string& name, const Point& want) {
    ASSERT_TRUE(reported.count(name)) << name;
    EXPECT_NEAR(reported[name].quality, want.quality, 1e-9) << name;
    EXPECT_NEAR(reported[name].cost, want.cost, 1e-12) << name;
  };
  for (const std::string& arm : arms) expect_point(arm, single[arm]);
  expect_point("random (uniform)", random);
  expect_point("oracle", oracle);
  expect_point("cheapest correct (q >= 0.5)", cheapest_correct);
  expect_point("best_single:" + best_single, best);
  // The frontier's vertices lie on the brute-force mixture frontier and end at the best model.
  ASSERT_FALSE(vertices.empty());
  for (const Point& v : vertices) {
    EXPECT_NEAR(v.quality, BruteForceMixture(singles, v.cost), 1e-9) << v.cost;
  }
  EXPECT_NEAR(vertices.back().quality, best.quality, 1e-9);

  // ---- Runs, recomputed from the decisions the tool logged. ----
  struct Run {
    double quality = 0, cost = 0, regret = 0, first = 0, second = 0;
    std::vector<std::string> ids;
  };
  std::map<std::string, Run> runs;
  std::map<std::string, const Row*> by_id;
  for (const Row& r : rows) by_id[r.id] = &r;
  const auto run_rows = ReadCsv(out + "/runs.csv");
  ASSERT_EQ(run_rows.size(), 4u);  // 2 cost weights x 2 seeds
  std::map<std::string, std::pair<double, double>> utility;  // key -> (w_cost, scale)
  for (const auto& cells : run_rows) {
    utility[cells[0] + "/" + cells[1]] = {Num(cells[15]), Num(cells[16])};
  }
  for (const auto& cells : ReadCsv(out + "/decisions.csv")) {
    ASSERT_EQ(cells.size(), 7u);
    const std::string key = cells[0] + "/" + cells[1];
    ASSERT_TRUE(by_id.count(cells[3])) << cells[3];
    const Row& row = *by_id[cells[3]];
    ASSERT_TRUE(row.outcomes.count(cells[4])) << cells[4];
    const auto [q, c] = row.outcomes.at(cells[4]);
    EXPECT_NEAR(Num(cells[5]), q, 1e-9);  // the revealed outcome is the chosen arm's
    EXPECT_NEAR(Num(cells[6]), c, 1e-12);
    Run& run = runs[key];
    const auto [w, scale] = utility.at(key);
    double best_u = -1e300;
    for (const auto& [arm, qc] : row.outcomes) best_u = std::max(best_u, qc.first - w * qc.second / scale);
    const double step = best_u - (q - w * c / scale);
    run.quality += q / n;
    run.cost += c / n;
    run.regret += step;
    (2 * static_cast<int>(run.ids.size()) < limit ? run.first : run.second) += step;
    run.ids.push_back(cells[3]);
  }
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& cells : run_rows) {
    const Run& run = runs[cells[0] + "/" + cells[1]];
    // Every query streamed exactly once.
    EXPECT_EQ(std::set<std::string>(run.ids.begin(), run.ids.end()).size(),
              static_cast<size_t>(limit));
    EXPECT_EQ(Num(cells[2]), limit);
    EXPECT_NEAR(Num(cells[4]), run.quality, 1e-9);
    EXPECT_NEAR(Num(cells[5]), run.cost, 1e-12);
    EXPECT_NEAR(Num(cells[6]), run.quality / best.quality, 1e-9);
    EXPECT_NEAR(Num(cells[7]), run.cost / best.cost, 1e-9);
    const double mixture = BruteForceMixture(singles, run.cost);
    if (mixture >= 0) {
      EXPECT_NEAR(Num(cells[8]), mixture / best.quality, 1e-9);
    }
    EXPECT_NEAR(Num(cells[10]), run.regret, 1e-6);
    EXPECT_NEAR(Num(cells[11]), run.first, 1e-6);
    EXPECT_NEAR(Num(cells[12]), run.second, 1e-6);
    // The router can never beat the per-query oracle.
    EXPECT_LE(run.quality, oracle.quality + 1e-12);
  }
  // Seeds change the stream order.
  EXPECT_NE(runs["cost_weight=0/1"].ids, runs["cost_weight=0/2"].ids);

  // ---- Deterministic for a seed: a second invocation decides identically. ----
  const std::string again = dir.Sub("b");
  ASSERT_EQ(RunTool(data, limit, again, sweep), 0) << Slurp(again + ".log");
  EXPECT_EQ(Slurp(out + "/decisions.csv"), Slurp(again + "/decisions.csv"));
  EXPECT_EQ(Slurp(out + "/baselines.csv"), Slurp(again + "/baselines.csv"));
  EXPECT_EQ(Slurp(out + "/regret.csv"), Slurp(again + "/regret.csv"));
}

TEST(ReplayTest, RouterArenaBaselinesRunsAndDeterminism) {
  CheckReplay("routerarena/routerarena-2models.jsonl", 300);
}

TEST(ReplayTest, LlmRouterNineModelsBaselinesRunsAndDeterminism) {
  CheckReplay("llmrouter/llmrouter-9models.jsonl", 400);
}

}  // namespace
}  // namespace router
