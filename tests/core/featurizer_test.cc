#include "core/featurizer.h"

#include <vector>

#include "gtest/gtest.h"

namespace router {
namespace {

FeatureSpec Spec() {
  FeatureSpec spec;
  spec.dim = 64;
  spec.embedding_dim = 8;
  spec.embedding_proj_dim = 16;
  spec.seed = 5;
  return spec;
}

TEST(FeaturizerTest, SameInputSameVectorAcrossInstances) {
  Featurizer a(Spec()), b(Spec());
  const std::vector<float> e = {1, 2, 3, 4, 5, 6, 7, 8};
  auto xa = a.Featurize(e, "What is 2+2?", {{"tenant", "acme"}});
  auto xb = b.Featurize(e, "What is 2+2?", {{"tenant", "acme"}});
  ASSERT_TRUE(xa.ok() && xb.ok());
  EXPECT_EQ(*xa, *xb);
  EXPECT_EQ(xa->size(), 64);
  EXPECT_DOUBLE_EQ((*xa)(0), 1.0);
}

TEST(FeaturizerTest, BlocksAreUnitNorm) {
  Featurizer f(Spec());
  auto x = f.Featurize(std::vector<float>{1, 0, 0, 0, 0, 0, 0, 3}, "some text here", {});
  ASSERT_TRUE(x.ok());
  EXPECT_NEAR(x->segment(1, 16).norm(), 1.0, 1e-12);
  EXPECT_NEAR(x->segment(17, 47).norm(), 1.0, 1e-12);
}

TEST(FeaturizerTest, DifferentTextsAndSeedsGiveDifferentVectors) {
  Featurizer f(Spec());
  auto a = f.Featurize({}, "translate this sentence to French", {});
  auto b = f.Featurize({}, "prove that the square root of 2 is irrational", {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LT(a->segment(1, 63).dot(b->segment(1, 63)), 0.5);

  FeatureSpec other = Spec();
  other.seed = 6;
  auto c = Featurizer(other).Featurize({}, "translate this sentence to French", {});
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*a, *c);
}

TEST(FeaturizerTest, RejectsBadInput) {
  Featurizer f(Spec());
  EXPECT_EQ(f.Featurize({}, "", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.Featurize(std::vector<float>{1, 2, 3}, "", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> nan(8, 0.f);
  nan[3] = std::numeric_limits<float>::quiet_NaN();
  auto status = f.Featurize(nan, "", {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("embedding[3]"), absl::string_view::npos);

  FeatureSpec text_only = Spec();
  text_only.embedding_dim = 0;
  text_only.embedding_proj_dim = 0;
  EXPECT_EQ(Featurizer(text_only).Featurize(std::vector<float>{1}, "", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace router
