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

/// C[i·ldc + j] = alpha · Σ_l a[i·lda + l] · b[j·ldb + l] + beta · C[i·ldc + j] for i < m ≤ 32, j < n:
/// a few rows of activations times a row-major weight matrix read in place (a batched decoding
/// step), with AVX-512. Returns -1, computing nothing, where the CPU lacks it, m is out of range
/// or memory for A's transpose is short.
int vlm_few_rows_f32(const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                     size_t m, size_t n, size_t k, float alpha, float beta);

/// The widest instruction set the elementwise kernels below can use here: 2 AVX-512, 1 AVX2 + FMA,
/// 0 plain C (found at the first call). Each kernel takes the level to run at, so that tests run
/// every level the machine has; all levels give the same bits. A level must be `vlm_isa_best()`'s
/// or one `vlm_isa_supported` says the CPU has (another stops the process: illegal instruction).
int vlm_isa_best(void);
int vlm_isa_supported(int isa);

/// out = silu(gate) · up over n elements; the backward accumulates into dgate and dup.
void vlm_swiglu_f32(int isa, const float *gate, const float *up, float *out, size_t n);
void vlm_swiglu_backward_f32(int isa, const float *d, const float *gate, const float *up, float *dgate, float *dup, size_t n);

/// GELU with PyTorch's tanh approximation; the backward accumulates into dx.
void vlm_gelu_tanh_f32(int isa, const float *x, float *out, size_t n);
void vlm_gelu_tanh_backward_f32(int isa, const float *d, const float *x, float *dx, size_t n);

/// QuickGELU, x · σ(1.702 x); the backward accumulates into dx.
void vlm_quick_gelu_f32(int isa, const float *x, float *out, size_t n);
void vlm_quick_gelu_backward_f32(int isa, const float *d, const float *x, float *dx, size_t n);

/// Softmax of one row of n scores in place (-inf is a hidden score); all zeros when every score
/// is hidden.
void vlm_softmax_f32(int isa, float *row, size_t n);

/// One AdamW update of n parameters (torch.optim.AdamW's arithmetic): the gradient times
/// gradient_scale, p ·= keep (1 − lr·weight decay), the moments, then
/// p −= step_size · m / (√v / correction2_sqrt + epsilon).
typedef struct {
    float gradient_scale, keep, beta1, beta2, step_size, correction2_sqrt, epsilon;
} vlm_adamw_step;
void vlm_adamw_f32(int isa, float *p, const float *g, float *m, float *v, size_t n, const vlm_adamw_step *s);

#endif
