// The defaults config.proto's comments state ("Default 0.5", "default 1000") are the ones the code
// applies: the comments are documentation users read, the code (core/specs.h, DurabilityOptions,
// MaintenanceOptions) is the one place the values are written, and this test keeps them equal.

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "services/config.h"

namespace router::services {
namespace {

// "Message.field" -> the number its comment states after "Default" / "default".
std::map<std::string, double> DocumentedDefaults(const std::string& proto) {
  const std::regex message_re(R"(^\s*message\s+(\w+)\s*\{)");
  const std::regex field_re(R"(^\s*(optional\s+|repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+\s*;(.*)$)");
  const std::regex default_re(R"([Dd]efault:?\s+(-?[0-9]+(\.[0-9]+)?))");
  std::map<std::string, double> out;
  std::istringstream in(proto);
  std::string line, message, comment;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, message_re)) {
      message = m[1];
      comment.clear();
    } else if (line.find("//") != std::string::npos &&
               line.find_first_not_of(" \t") == line.find("//")) {
      comment += line + "\n";
    } else if (std::regex_match(line, m, field_re)) {
      const std::string text = comment + m[3].str();
      if (std::smatch d; std::regex_search(text, d, default_re)) {
        out[message + "." + m[2].str()] = std::stod(d[1]);
      }
      comment.clear();
    } else {
      comment.clear();
    }
  }
  return out;
}

TEST(ConfigDefaultsTest, ProtoCommentsStateTheDefaultsTheCodeApplies) {
  const char* root = std::getenv("ROUTER_SOURCE_DIR");
  ASSERT_NE(root, nullptr) << "ROUTER_SOURCE_DIR is set by CTest";
  std::ifstream file(std::string(root) + "/proto/router/v1/config.proto");
  ASSERT_TRUE(file) << "cannot read proto/router/v1/config.proto";
  std::stringstream text;
  text << file.rdbuf();
  const std::map<std::string, double> documented = DocumentedDefaults(text.str());

  // The smallest valid config: every other field takes its default.
  v1::ServerConfig config;
  v1::RouterConfig* rc = config.add_routers();
  rc->set_name("r");
  rc->add_arms()->set_id("a");
  auto specs = ToRouterSpecs(config);
  ASSERT_TRUE(specs.ok()) << specs.status();
  const RouterSpec& r = (*specs)[0];
  auto storage = ToStorageSettings(config);
  ASSERT_TRUE(storage.ok()) << storage.status();

  const std::map<std::string, double> applied = {
      {"StorageConfig.decision_ttl_seconds",
       absl::ToDoubleSeconds(storage->durability.decision_ttl)},
      {"StorageConfig.checkpoint_every_events",
       static_cast<double>(storage->durability.checkpoint_every_events)},
      {"StorageConfig.checkpoint_every_seconds",
       absl::ToDoubleSeconds(storage->durability.checkpoint_every)},
      {"StorageConfig.sweep_every_seconds",
       absl::ToDoubleSeconds(storage->maintenance.sweep_every)},
      {"FeatureConfig.dim", static_cast<double>(r.features.dim)},
      {"PolicyConfig.alpha", r.policy.alpha},
      {"PolicyConfig.lambda", r.policy.lambda},
      {"PolicyConfig.epsilon", r.policy.epsilon},
      {"PolicyConfig.gamma", r.policy.gamma},
      {"PolicyConfig.min_tries", static_cast<double>(r.policy.min_tries)},
      {"PolicyConfig.seed", static_cast<double>(r.policy.seed)},
      {"PolicyConfig.thumbs_weight", r.quality_sources.thumbs},
      {"PolicyConfig.judge_weight", r.quality_sources.judge},
      {"BudgetConfig.spend_learning_rate", r.spend.learning_rate},
      {"ObjectiveWeights.quality", r.weights.quality},
      {"ObjectiveWeights.cost", r.weights.cost},
      {"ObjectiveWeights.latency", r.weights.latency},
      {"ObjectiveWeights.energy", r.weights.energy},
      {"ObjectiveWeights.latency_scale_ms", r.scales.latency_ms},
      {"ObjectiveWeights.energy_scale_j", r.scales.energy_j},
      {"RouterConfig.typical_input_tokens", static_cast<double>(r.typical_input_tokens)},
      {"RouterConfig.typical_output_tokens", static_cast<double>(r.typical_output_tokens)},
      {"RouterConfig.default_quality_prior", r.default_quality_prior},
      {"RouterConfig.grid_intensity_g_per_kwh", kDefaultGridIntensityGPerKwh},
  };
  // Both ways: a documented default the code does not apply, and a default this test knows that
  // the proto no longer documents, fail alike.
  for (const auto& [field, value] : documented) {
    auto it = applied.find(field);
    if (it == applied.end()) {
      ADD_FAILURE() << field << ": config.proto documents default " << value
                    << " but this test does not know the code's value; add it to `applied`";
      continue;
    }
    EXPECT_DOUBLE_EQ(value, it->second) << field << ": config.proto says " << value
                                        << ", the code applies " << it->second;
  }
  for (const auto& [field, value] : applied) {
    EXPECT_TRUE(documented.count(field)) << field << ": the code applies " << value
                                         << " but config.proto documents no default";
  }
  EXPECT_GE(documented.size(), 20u) << "the parser found too few defaults in config.proto";
}

}  // namespace
}  // namespace router::services
