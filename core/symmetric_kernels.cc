#include "core/symmetric_kernels.h"

#include <immintrin.h>

#include <algorithm>

#include "Eigen/Dense"

namespace router {
namespace {

using ConstMapD = Eigen::Map<const Eigen::VectorXd>;
using MapD = Eigen::Map<Eigen::VectorXd>;
using ConstMapF = Eigen::Map<const Eigen::VectorXf>;

size_t PanelStart(int d, int p) {
  // Panels before p have dp - 8q rows of 8 floats each.
  const size_t dp = static_cast<size_t>(PanelDim(d));
  const size_t q = static_cast<size_t>(p);
  return 8 * (q * dp - 8 * q * (q - 1) / 2);
}

// Packed column j (rows j..d-1) into the panels, with the mirror of the part that lies in the
// diagonal tile.
template <typename T>
void StoreColumnInPanels(float* panels, int d, int j, const T& column) {
  const int p = j / 8;
  const int lane = j - 8 * p;
  float* panel = panels + PanelStart(d, p);
  const int n = d - j;
  for (int k = 0; k < n; ++k) {
    panel[static_cast<size_t>(lane + k) * 8 + lane] = static_cast<float>(column[k]);
  }
  for (int k = 1; k < n && lane + k < 8; ++k) {
    panel[static_cast<size_t>(lane) * 8 + lane + k] = static_cast<float>(column[k]);
  }
}

float QuadraticFormPortable(const float* panels, const float* x, int d) {
  const int dp = PanelDim(d);
  float diagonal_tiles = 0;
  float off_diagonal = 0;
  for (int p = 0; p < dp / 8; ++p) {
    const float* panel = panels + PanelStart(d, p);
    const ConstMapF xp(x + 8 * p, 8);
    for (int r = 8 * p; r < dp; ++r) {
      const float t = x[r] * ConstMapF(panel + static_cast<size_t>(r - 8 * p) * 8, 8).dot(xp);
      if (r < 8 * p + 8) {
        diagonal_tiles += t;
      } else {
        off_diagonal += t;
      }
    }
  }
  return diagonal_tiles + 2.0f * off_diagonal;
}

__attribute__((target("avx2,fma"))) float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float QuadraticFormAvx2(const float* panels, const float* x,
                                                           int d) {
  const int dp = PanelDim(d);
  __m256 diagonal = _mm256_setzero_ps();
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  for (int p = 0; p < dp / 8; ++p) {
    const float* row = panels + PanelStart(d, p);
    const __m256 xp = _mm256_loadu_ps(x + 8 * p);
    int r = 8 * p;
    for (const int end = r + 8; r < end; ++r, row += 8) {
      diagonal = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(row), xp), _mm256_set1_ps(x[r]),
                                 diagonal);
    }
    for (; r + 2 <= dp; r += 2, row += 16) {
      acc0 = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(row), xp), _mm256_set1_ps(x[r]), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(row + 8), xp),
                             _mm256_set1_ps(x[r + 1]), acc1);
    }
    // dp - 8p - 8 is a multiple of 8, so no single row is left over.
  }
  return HorizontalSum(diagonal) + 2.0f * HorizontalSum(_mm256_add_ps(acc0, acc1));
}

using QuadraticFormFn = float (*)(const float*, const float*, int);

QuadraticFormFn ChooseQuadraticForm() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return QuadraticFormAvx2;
  return QuadraticFormPortable;
}

}  // namespace

void PackedSymmetricMultiply(const double* packed, const double* x, int d, double* out) {
  MapD u(out, d);
  u.setZero();
  // Column j of the lower triangle is row j of the upper one: it adds x_j·column to u[j..d) and
  // column[1..)·x[j+1..) to u_j. Both read the same contiguous bytes.
  for (int j = 0; j < d; ++j) {
    const double* column = packed + PackedColumnStart(d, j);
    const int n = d - j;
    u.segment(j, n).noalias() += x[j] * ConstMapD(column, n);
    if (n > 1) u(j) += ConstMapD(column + 1, n - 1).dot(ConstMapD(x + j + 1, n - 1));
  }
}

double PackedSymmetricQuadraticForm(const double* packed, const double* x, int d) {
  double sum = 0;
  for (int j = 0; j < d; ++j) {
    const double* column = packed + PackedColumnStart(d, j);
    const int n = d - j;
    const double dot = ConstMapD(column, n).dot(ConstMapD(x + j, n));
    sum += x[j] * (2.0 * dot - column[0] * x[j]);
  }
  return sum;
}

void PackedSymmetricRankOneDowndate(double* packed, const double* v, int d, float* panels) {
  for (int j = 0; j < d; ++j) {
    const size_t start = PackedColumnStart(d, j);
    const int n = d - j;
    MapD column(packed + start, n);
    column.noalias() -= v[j] * ConstMapD(v + j, n);
    if (panels != nullptr) StoreColumnInPanels(panels, d, j, column);
  }
}

float PanelSymmetricQuadraticFormPortable(const float* panels, const float* x, int d) {
  return QuadraticFormPortable(panels, x, d);
}

size_t PanelSize(int d) { return PanelStart(d, PanelDim(d) / 8); }

void PackedToPanels(const double* packed, int d, float* panels) {
  std::fill(panels, panels + PanelSize(d), 0.0f);
  for (int j = 0; j < d; ++j) {
    StoreColumnInPanels(panels, d, j, packed + PackedColumnStart(d, j));
  }
}

float PanelSymmetricQuadraticForm(const float* panels, const float* x, int d) {
  static const QuadraticFormFn kernel = ChooseQuadraticForm();
  return kernel(panels, x, d);
}

}  // namespace router
