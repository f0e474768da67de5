// RidgeModel with forgetting (γ < 1) and weighted observations, against a direct computation of
// the documented semantics (core/ridge_model.h): dense A and b, solved from scratch each time.

#include <vector>

#include "Eigen/Dense"
#include "core/random.h"
#include "core/ridge_model.h"
#include "gtest/gtest.h"

namespace router {
namespace {

constexpr int kDim = 6;
constexpr double kLambda = 0.7;

// The documented semantics, computed directly: decay A, b and the prior share by γ, add w·xxᵀ and
// w·y·x, and after every d-th update since the last restore top the prior back up to full.
class DirectRidge {
 public:
  explicit DirectRidge(const Eigen::VectorXd& prior_mean)
      : prior_mean_(prior_mean),
        a_(kLambda * Eigen::MatrixXd::Identity(kDim, kDim)),
        b_(kLambda * prior_mean) {}

  void Update(const Eigen::VectorXd& x, double y, double gamma, double weight) {
    a_ = gamma * a_ + weight * x * x.transpose();
    b_ = gamma * b_ + weight * y * x;
    if (gamma < 1) {
      prior_share_ *= gamma;
      if (++since_restore_ == kDim) {
        a_ += kLambda * (1 - prior_share_) * Eigen::MatrixXd::Identity(kDim, kDim);
        b_ += kLambda * (1 - prior_share_) * prior_mean_;
        prior_share_ = 1;
        since_restore_ = 0;
      }
    }
  }
  Eigen::MatrixXd AInverse() const { return a_.inverse(); }
  Eigen::VectorXd Theta() const { return a_.ldlt().solve(b_); }

 private:
  Eigen::VectorXd prior_mean_;
  Eigen::MatrixXd a_;
  Eigen::VectorXd b_;
  double prior_share_ = 1;
  int since_restore_ = 0;
};

Eigen::VectorXd RandomVector(Rng& rng) {
  Eigen::VectorXd v(kDim);
  for (int i = 0; i < kDim; ++i) v(i) = rng.Gaussian();
  return v;
}

void ExpectSameModel(const RidgeModel& model, const DirectRidge& direct, int step) {
  SCOPED_TRACE(testing::Message() << "after update " << step);
  const Eigen::MatrixXd inv = direct.AInverse();
  EXPECT_LT((model.AInverse() - inv).norm(), 1e-9 * (1 + inv.norm()));
  const Eigen::VectorXd theta = direct.Theta();
  EXPECT_LT((model.theta() - theta).norm(), 1e-9 * (1 + theta.norm()));
}

class RidgeForgettingTest : public ::testing::TestWithParam<double> {};

// Weighted updates with and without forgetting, through three prior restores.
TEST_P(RidgeForgettingTest, MatchesDirectSolveOfDocumentedSemantics) {
  const double gamma = GetParam();
  Rng rng(3);
  const Eigen::VectorXd prior = RandomVector(rng);
  RidgeModel model(prior, kLambda);
  DirectRidge direct(prior);
  for (int t = 1; t <= 3 * kDim + 2; ++t) {
    const Eigen::VectorXd x = RandomVector(rng);
    const double y = rng.Gaussian();
    const double weight = 0.25 + 2 * rng.Uniform();
    ASSERT_TRUE(model.Update(x, y, gamma, weight).ok());
    direct.Update(x, y, gamma, weight);
    ExpectSameModel(model, direct, t);
    const Eigen::VectorXd probe = RandomVector(rng);
    EXPECT_NEAR(model.Variance(probe), probe.dot(direct.AInverse() * probe), 1e-9);
  }
}

INSTANTIATE_TEST_SUITE_P(Gammas, RidgeForgettingTest, ::testing::Values(1.0, 0.95, 0.7));

TEST(RidgeWeightTest, WeightTwoEqualsTheSameObservationTwice) {
  Rng rng(8);
  RidgeModel weighted(Eigen::VectorXd::Zero(kDim), kLambda);
  RidgeModel repeated(Eigen::VectorXd::Zero(kDim), kLambda);
  for (int t = 0; t < 10; ++t) {
    const Eigen::VectorXd x = RandomVector(rng);
    const double y = rng.Gaussian();
    ASSERT_TRUE(weighted.Update(x, y, 1.0, 2.0).ok());
    ASSERT_TRUE(repeated.Update(x, y).ok());
    ASSERT_TRUE(repeated.Update(x, y).ok());
  }
  EXPECT_LT((weighted.theta() - repeated.theta()).norm(), 1e-10);
  EXPECT_LT((weighted.AInverse() - repeated.AInverse()).norm(), 1e-10);
}

TEST(RidgeWeightTest, WeightZeroIsANoOp) {
  Rng rng(9);
  RidgeModel model(Eigen::VectorXd::Constant(kDim, 0.5), kLambda);
  ASSERT_TRUE(model.Update(RandomVector(rng), 3.0, 0.9, 0.0).ok());
  EXPECT_EQ(model.observations(), 0u);
  EXPECT_EQ(model.theta(), Eigen::VectorXd::Constant(kDim, 0.5));
}

// Forgetting relearns: after the truth changes, a forgetting model tracks the new value and a
// non-forgetting one is stuck near the average of old and new.
TEST(RidgeForgettingBehaviourTest, ForgettingTracksAChange) {
  Rng rng(10);
  RidgeModel forgetting(Eigen::VectorXd::Zero(kDim), kLambda);
  RidgeModel remembering(Eigen::VectorXd::Zero(kDim), kLambda);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(kDim);
  x(0) = 1;
  for (int t = 0; t < 400; ++t) {
    const double y = t < 200 ? 1.0 : 0.0;
    ASSERT_TRUE(forgetting.Update(x, y, 0.95).ok());
    ASSERT_TRUE(remembering.Update(x, y).ok());
  }
  EXPECT_NEAR(forgetting.Mean(x), 0.0, 0.01);
  EXPECT_NEAR(remembering.Mean(x), 0.5, 0.01);
}

}  // namespace
}  // namespace router
