#ifndef BANDIT_ROUTER_CORE_SYMMETRIC_KERNELS_H_
#define BANDIT_ROUTER_CORE_SYMMETRIC_KERNELS_H_

// Kernels on a symmetric d×d matrix stored as its packed lower triangle, column by column:
// column j holds entries (j, j), (j+1, j), ..., (d-1, j) and starts at PackedColumnStart(d, j).
// This is the order checkpoints store (RidgeState::a_inv_lower), so export and import are copies.
// Half the memory of the full matrix: at d = 512 a K = 16 router's float copies of A⁻¹ fit the
// L3 cache (8 MB instead of 16 MB), and every pass over A⁻¹ reads half the bytes.
//
// The double kernels are portable code (Eigen's SSE2 on the baseline x86-64), so the learned
// state is the same bit for bit on every x86-64 machine. The float quadratic form, used only to
// scale an exploration bonus, uses AVX2 + FMA when the CPU has them (chosen once at run time).

#include <cstddef>

namespace router {

inline size_t PackedSize(int d) { return static_cast<size_t>(d) * (d + 1) / 2; }
inline size_t PackedColumnStart(int d, int j) {
  return static_cast<size_t>(j) * d - static_cast<size_t>(j) * (j - 1) / 2;
}

// out = A·x.
void PackedSymmetricMultiply(const double* packed, const double* x, int d, double* out);
// xᵀA·x.
double PackedSymmetricQuadraticForm(const double* packed, const double* x, int d);
// A -= v·vᵀ, and when `panels` is not null, panels = float(A) (after the update) in the panel
// layout below, in the same pass.
void PackedSymmetricRankOneDowndate(double* packed, const double* v, int d, float* panels);

// The single-precision copy for xᵀA·x on the request path is laid out in panels of 8 columns,
// so that the kernel runs fixed-length 8-wide rows (no per-column loop whose length changes,
// which costs a branch misprediction per column): with dp = d rounded up to a multiple of 8,
// panel p holds columns 8p..8p+7 for rows 8p..dp-1, 8 floats a row; the 8×8 diagonal tile is
// stored whole (both triangles), padding is zero.
inline int PanelDim(int d) { return (d + 7) / 8 * 8; }
size_t PanelSize(int d);
// panels = float(A) from the packed double matrix.
void PackedToPanels(const double* packed, int d, float* panels);
// xᵀA·x in single precision; x has PanelDim(d) values, zero past d.
float PanelSymmetricQuadraticForm(const float* panels, const float* x, int d);
// The same without AVX2, whatever the CPU (what PanelSymmetricQuadraticForm runs without it).
float PanelSymmetricQuadraticFormPortable(const float* panels, const float* x, int d);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_SYMMETRIC_KERNELS_H_
