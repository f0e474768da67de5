// The policy-engine part of the config: new policy kinds, quality source weights and the spend
// target reach RouterSpec, and bad values are rejected with the field named.

#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/config.h"

namespace router::services {
namespace {

absl::StatusOr<std::vector<RouterSpec>> Parse(const std::string& router_fields) {
  v1::ServerConfig config;
  const std::string text =
      "routers { name: 'r' arms { id: 'a' output_price_per_mtok: 10 } " + router_fields + " }";
  if (!google::protobuf::TextFormat::ParseFromString(text, &config)) {
    return absl::InvalidArgumentError("test config does not parse: " + text);
  }
  return ToRouterSpecs(config);
}

TEST(PolicyConfigTest, DefaultsLeaveTheNewKnobsOff) {
  auto specs = Parse("");
  ASSERT_TRUE(specs.ok()) << specs.status();
  const RouterSpec& s = specs->front();
  EXPECT_EQ(s.policy.kind, PolicyKind::kLinUcb);
  EXPECT_EQ(s.quality_sources.thumbs, 1.0);
  EXPECT_EQ(s.quality_sources.judge, 1.0);
  EXPECT_EQ(s.spend.target_cost_per_request_usd, 0.0);
  EXPECT_EQ(s.spend.learning_rate, 0.05);
}

TEST(PolicyConfigTest, NewFieldsReachTheSpec) {
  auto specs = Parse(
      "policy { kind: EPSILON_GREEDY epsilon: 0.1 thumbs_weight: 0.5 judge_weight: 2 } "
      "budget { target_cost_per_request_usd: 0.002 spend_learning_rate: 0.01 }");
  ASSERT_TRUE(specs.ok()) << specs.status();
  const RouterSpec& s = specs->front();
  EXPECT_EQ(s.policy.kind, PolicyKind::kEpsilonGreedy);
  EXPECT_EQ(s.quality_sources.thumbs, 0.5);
  EXPECT_EQ(s.quality_sources.judge, 2.0);
  EXPECT_EQ(s.spend.target_cost_per_request_usd, 0.002);
  EXPECT_EQ(s.spend.learning_rate, 0.01);
  auto uniform = Parse("policy { kind: UNIFORM }");
  ASSERT_TRUE(uniform.ok());
  EXPECT_EQ(uniform->front().policy.kind, PolicyKind::kUniform);
  auto thompson = Parse("policy { kind: THOMPSON }");
  ASSERT_TRUE(thompson.ok());
  EXPECT_EQ(thompson->front().policy.kind, PolicyKind::kThompson);
}

TEST(PolicyConfigTest, BadValuesNameTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {"policy { epsilon: 1.5 }", "routers[0].policy.epsilon: must be in [0, 1), got 1.5"},
      {"policy { thumbs_weight: -1 }", "routers[0].policy.thumbs_weight: must be a finite"},
      {"policy { judge_weight: inf }", "routers[0].policy.judge_weight: must be a finite"},
      {"budget { target_cost_per_request_usd: -0.1 }",
       "routers[0].budget.target_cost_per_request_usd: must be a finite number >= 0"},
      {"budget { spend_learning_rate: 0 }", "routers[0].budget.spend_learning_rate: must be"},
      {"policy { kind: 7 }", "routers[0].policy.kind: unknown policy kind 7"},
  };
  for (const auto& [fields, message] : cases) {
    auto specs = Parse(fields);
    ASSERT_FALSE(specs.ok()) << fields;
    EXPECT_EQ(specs.status().code(), absl::StatusCode::kInvalidArgument) << fields;
    EXPECT_EQ(std::string(specs.status().message()).rfind(message, 0), 0u)
        << fields << " gave: " << specs.status().message();
  }
}

}  // namespace
}  // namespace router::services
