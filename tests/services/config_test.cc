// Config validation names the offending field; the built-in default is valid.

#include <fstream>

#include "gtest/gtest.h"
#include "services/config.h"
#include "tests/testing/temp_dir.h"

namespace router::services {
namespace {

void ExpectFieldError(const v1::ServerConfig& config, const std::string& fragment) {
  auto specs = ToRouterSpecs(config);
  ASSERT_FALSE(specs.ok()) << "expected an error naming " << fragment;
  EXPECT_EQ(specs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(specs.status().message().find(fragment), std::string::npos) << specs.status();
}

TEST(ConfigTest, DefaultConfigIsValidAndFilledIn) {
  auto specs = ToRouterSpecs(DefaultConfig());
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 1u);
  const RouterSpec& r = (*specs)[0];
  EXPECT_EQ(r.name, "default");
  EXPECT_EQ(r.arms.size(), 3u);
  EXPECT_DOUBLE_EQ(r.policy.epsilon, 0.02);
  // Cost scale defaults to the most expensive arm's prior cost per request.
  EXPECT_NEAR(r.scales.cost_usd, (5.0 * 500 + 15.0 * 300) / 1e6, 1e-12);
}

TEST(ConfigTest, StorageDefaultsAndErrorsNameTheField) {
  auto settings = ToStorageSettings(DefaultConfig());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->durability.decision_ttl, absl::Hours(24 * 7));
  EXPECT_EQ(settings->durability.checkpoint_every_events, 10000u);
  EXPECT_EQ(settings->durability.checkpoint_every, absl::Minutes(5));
  EXPECT_EQ(settings->maintenance.sweep_every, absl::Minutes(1));

  v1::ServerConfig c = DefaultConfig();
  c.mutable_storage()->set_decision_ttl_seconds(0);
  auto bad = ToStorageSettings(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("storage.decision_ttl_seconds: must be in [1, "),
            std::string::npos)
      << bad.status();
  c = DefaultConfig();
  c.mutable_storage()->set_sweep_every_seconds(0);
  EXPECT_NE(ToStorageSettings(c).status().message().find("storage.sweep_every_seconds"),
            std::string::npos);

  c = DefaultConfig();
  c.mutable_routers(0)->set_default_reward(1.5);
  ExpectFieldError(c, "routers[0].default_reward: must be in [0, 1], got 1.5");
  c.mutable_routers(0)->set_default_reward(0);
  auto specs = ToRouterSpecs(c);
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ((*specs)[0].default_reward, 0.0);
  EXPECT_FALSE((*ToRouterSpecs(DefaultConfig()))[0].default_reward.has_value());
}

TEST(ConfigTest, InvalidFieldsAreNamed) {
  v1::ServerConfig c = DefaultConfig();
  c.mutable_routers(0)->mutable_policy()->set_epsilon(1.5);
  ExpectFieldError(c, "routers[0].policy.epsilon: must be in [0, 1), got 1.5");

  c = DefaultConfig();
  c.mutable_routers(0)->mutable_policy()->set_gamma(0);
  ExpectFieldError(c, "routers[0].policy.gamma");

  c = DefaultConfig();
  c.mutable_routers(0)->mutable_arms(1)->set_id("small");
  ExpectFieldError(c, "routers[0].arms[1].id: duplicate arm id 'small'");

  c = DefaultConfig();
  c.mutable_routers(0)->mutable_arms(2)->set_input_price_per_mtok(-1);
  ExpectFieldError(c, "routers[0].arms[2]");

  c = DefaultConfig();
  c.mutable_routers(0)->mutable_features()->set_embedding_proj_dim(64);
  ExpectFieldError(c, "routers[0].features.embedding_proj_dim");

  c = DefaultConfig();
  *c.add_routers() = c.routers(0);
  ExpectFieldError(c, "routers[1].name: duplicate router name 'default'");

  ExpectFieldError(v1::ServerConfig(), "routers: at least one router is required");
}

TEST(ConfigTest, TextProtoSyntaxErrorsGiveLineAndColumn) {
  testing::TempDir dir;
  const std::string path = dir.Sub("bad.textproto");
  std::ofstream(path) << "routers {\n  name: \"x\"\n  polcy { alpha: 1 }\n}\n";
  auto config = LoadConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("line 3"), std::string::npos) << config.status();
  EXPECT_NE(config.status().message().find("polcy"), std::string::npos) << config.status();
  EXPECT_EQ(LoadConfigFile(dir.Sub("missing")).status().code(), absl::StatusCode::kNotFound);
}

TEST(ConfigTest, ShippedExampleConfigIsValid) {
  const char* source_dir = std::getenv("ROUTER_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr);
  auto config = LoadConfigFile(std::string(source_dir) + "/deploy/routerd.textproto");
  ASSERT_TRUE(config.ok()) << config.status();
  auto specs = ToRouterSpecs(*config);
  ASSERT_TRUE(specs.ok()) << specs.status();
}

}  // namespace
}  // namespace router::services
