#include "core/featurizer.h"

#include <iostream>
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

double Cosine(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  const Eigen::VectorXd ta = a.tail(a.size() - 1), tb = b.tail(b.size() - 1);
  return ta.dot(tb) / (ta.norm() * tb.norm());
}

TEST(FeaturizerTest, RichTextFeaturesBringQueriesOfOneTemplateTogether) {
  FeatureSpec basic;
  basic.dim = 256;
  basic.seed = 3;
  FeatureSpec rich = basic;
  rich.text_features = FeatureSpec::TextFeatures::kRich;
  const std::string a =
      "Write a function to find the minimum cost path to reach (m, n) from (0, 0) for the given "
      "cost matrix";
  const std::string b = "Write a function to check whether the given string is a palindrome";
  const std::string other = "when did the treaty of versailles come into force";
  auto basic_a = Featurizer(basic).Featurize({}, a, {});
  auto basic_b = Featurizer(basic).Featurize({}, b, {});
  auto rich_a = Featurizer(rich).Featurize({}, a, {});
  auto rich_b = Featurizer(rich).Featurize({}, b, {});
  auto basic_other = Featurizer(basic).Featurize({}, other, {});
  auto rich_other = Featurizer(rich).Featurize({}, other, {});
  ASSERT_TRUE(basic_a.ok() && basic_b.ok() && basic_other.ok() && rich_a.ok() && rich_b.ok() &&
              rich_other.ok());
  EXPECT_NE(*basic_a, *rich_a);  // the option changes the vector; the default stays BASIC
  // Same template vs another template: the gap widens (shared character 3-grams of unrelated
  // English text weigh less, the shared prefix weighs more).
  const double basic_gap = Cosine(*basic_a, *basic_b) - Cosine(*basic_a, *basic_other);
  const double rich_gap = Cosine(*rich_a, *rich_b) - Cosine(*rich_a, *rich_other);
  std::cout << "template gap: basic " << basic_gap << ", rich " << rich_gap << std::endl;
  EXPECT_GT(rich_gap, basic_gap);
  EXPECT_NEAR(rich_a->tail(255).norm(), 1.0, 1e-12);
}

}  // namespace
}  // namespace router
