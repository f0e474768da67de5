// The packed and panel kernels against plain dense Eigen arithmetic on random symmetric matrices,
// at sizes that are and are not multiples of 8 (the panel width).

#include "core/symmetric_kernels.h"

#include <vector>

#include "Eigen/Dense"
#include "core/random.h"
#include "gtest/gtest.h"

namespace router {
namespace {

Eigen::MatrixXd RandomSymmetric(Rng& rng, int d) {
  Eigen::MatrixXd m(d, d);
  for (int i = 0; i < d; ++i) {
    for (int j = 0; j < d; ++j) m(i, j) = rng.Gaussian();
  }
  return 0.5 * (m + m.transpose());
}

std::vector<double> Pack(const Eigen::MatrixXd& m) {
  std::vector<double> packed;
  for (int j = 0; j < m.cols(); ++j) {
    for (int i = j; i < m.rows(); ++i) packed.push_back(m(i, j));
  }
  return packed;
}

Eigen::VectorXd RandomVector(Rng& rng, int d) {
  Eigen::VectorXd v(d);
  for (int i = 0; i < d; ++i) v(i) = rng.Gaussian();
  return v;
}

class SymmetricKernelsTest : public ::testing::TestWithParam<int> {};

TEST_P(SymmetricKernelsTest, MatchDenseArithmetic) {
  const int d = GetParam();
  Rng rng(1000 + d);
  const Eigen::MatrixXd a = RandomSymmetric(rng, d);
  std::vector<double> packed = Pack(a);
  ASSERT_EQ(packed.size(), PackedSize(d));
  const Eigen::VectorXd x = RandomVector(rng, d);

  Eigen::VectorXd product(d);
  PackedSymmetricMultiply(packed.data(), x.data(), d, product.data());
  EXPECT_LT((product - a * x).cwiseAbs().maxCoeff(), 1e-12 * d);
  const double quadratic = x.dot(a * x);
  EXPECT_NEAR(PackedSymmetricQuadraticForm(packed.data(), x.data(), d), quadratic, 1e-12 * d * d);

  std::vector<float> panels(PanelSize(d), -1.0f);
  PackedToPanels(packed.data(), d, panels.data());
  std::vector<float> xf(PanelDim(d), 0.0f);
  for (int i = 0; i < d; ++i) xf[i] = static_cast<float>(x(i));
  const double tolerance = 1e-4 * (a.cwiseAbs() * x.cwiseAbs()).dot(x.cwiseAbs());
  EXPECT_NEAR(PanelSymmetricQuadraticForm(panels.data(), xf.data(), d), quadratic, tolerance);
  EXPECT_NEAR(PanelSymmetricQuadraticFormPortable(panels.data(), xf.data(), d), quadratic,
              tolerance);

  // The downdate, with the float panels refreshed in the same pass.
  const Eigen::VectorXd v = 0.3 * RandomVector(rng, d);
  PackedSymmetricRankOneDowndate(packed.data(), v.data(), d, panels.data());
  const Eigen::MatrixXd downdated = a - v * v.transpose();
  EXPECT_EQ(packed, Pack(downdated));  // the same products, so the same bits
  std::vector<float> refreshed(PanelSize(d));
  PackedToPanels(packed.data(), d, refreshed.data());
  EXPECT_EQ(panels, refreshed);
  EXPECT_NEAR(PanelSymmetricQuadraticForm(panels.data(), xf.data(), d),
              x.dot(downdated * x),
              1e-4 * (downdated.cwiseAbs() * x.cwiseAbs()).dot(x.cwiseAbs()));
}

INSTANTIATE_TEST_SUITE_P(Sizes, SymmetricKernelsTest,
                         ::testing::Values(1, 2, 3, 7, 8, 9, 13, 16, 31, 64, 100, 129));

}  // namespace
}  // namespace router
