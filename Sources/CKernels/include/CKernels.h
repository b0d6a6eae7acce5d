#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

/// y[r] = alpha · Σ_i w[r·ldw + i] · x[i] + beta · y[r] for r < rows: one row of activations
/// times a row-major weight matrix, as decoding needs it. Bound by memory: each weight is read
/// once, with the widest vector loads the CPU has (chosen at the first call).
void vlm_gemv_rows_f32(const float *w, size_t ldw, const float *x, float *y,
                       size_t rows, size_t k, float alpha, float beta);

/// The same with a given kernel (0 plain C, 1 AVX2 + FMA, 2 AVX-512), so that tests check each
/// one the machine can run; -1, computing nothing, where it cannot.
int vlm_gemv_rows_f32_isa(int isa, const float *w, size_t ldw, const float *x, float *y,
                          size_t rows, size_t k, float alpha, float beta);

#endif
