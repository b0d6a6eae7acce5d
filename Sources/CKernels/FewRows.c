// Products of a few rows by a row-major weight matrix, C = alpha · A · Bᵀ + beta · C with A
// [m ≤ 32, k] and B [n, k]: a batched decoding step. sgemm packs all of B before using it
// once (a fifth of a batch-32 step went to that copy); here the rows of A go into the lanes
// (A transposed once, 32 floats a column) and each weight is broadcast from where it lies, so
// B is read once, in place, twelve rows at a time.
#include "CKernels.h"
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>

enum { lanes = 16, tile = 12 };

// Rows j..<j+12 of B (b points at row j) against every column of aT ([k][2·16], zero past m),
// into C's columns j..<j+nr: 24 accumulators, the loop over the rows unrolled so they stay in
// registers.
__attribute__((target("avx512f")))
static void few_rows_tile(const float *aT, const float *b, size_t ldb, float *c, size_t ldc,
                          size_t m, size_t k, size_t nr, float alpha, float beta) {
    __m512 acc[tile][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < tile; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t i = 0; i < k; i++) {
        const __m512 a0 = _mm512_load_ps(aT + i * 2 * lanes), a1 = _mm512_load_ps(aT + i * 2 * lanes + lanes);
        const float *column = b + i;
#pragma clang loop unroll(full)
        for (int r = 0; r < tile; r++) {
            const __m512 w = _mm512_set1_ps(column[r * ldb]);
            acc[r][0] = _mm512_fmadd_ps(a0, w, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a1, w, acc[r][1]);
        }
    }
    float out[2 * lanes] __attribute__((aligned(64)));
    for (size_t r = 0; r < nr; r++) {
        _mm512_store_ps(out, acc[r][0]);
        _mm512_store_ps(out + lanes, acc[r][1]);
        for (size_t row = 0; row < m; row++) {
            float *y = c + row * ldc + r;
            *y = alpha * out[row] + (beta == 0 ? 0 : beta * *y);
        }
    }
}

__attribute__((target("avx512f")))
static int few_rows_avx512(const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                           size_t m, size_t n, size_t k, float alpha, float beta) {
    // A transposed, then the last n mod 12 rows of B in a zero-padded block of 12: a buffer per
    // thread, kept (a fresh one each call was mapped and zeroed by the kernel at k = 1536)
    static _Thread_local float *buffer;
    static _Thread_local size_t capacity;
    const size_t floats = k * (2 * lanes + tile);
    if (floats > capacity) {
        free(buffer);
        buffer = aligned_alloc(64, floats * sizeof(float));
        capacity = buffer ? floats : 0;
        if (!buffer) return -1;
    }
    float *aT = buffer;
    for (size_t i = 0; i < k; i++)
        for (size_t row = 0; row < 2 * lanes; row++) aT[i * 2 * lanes + row] = row < m ? a[row * lda + i] : 0;
    size_t j = 0;
    for (; j + tile <= n; j += tile) few_rows_tile(aT, b + j * ldb, ldb, c + j, ldc, m, k, tile, alpha, beta);
    if (j < n) {
        float *rest = aT + k * 2 * lanes;
        for (size_t r = 0; r < tile; r++)
            for (size_t i = 0; i < k; i++) rest[r * k + i] = j + r < n ? b[(j + r) * ldb + i] : 0;
        few_rows_tile(aT, rest, k, c + j, ldc, m, k, n - j, alpha, beta);
    }
    return 0;
}
#endif

int vlm_few_rows_f32(const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                     size_t m, size_t n, size_t k, float alpha, float beta) {
#if defined(__x86_64__)
    static int avx512 = -1;
    int has = __atomic_load_n(&avx512, __ATOMIC_RELAXED);
    if (has < 0) {
        __builtin_cpu_init();
        __atomic_store_n(&avx512, has = __builtin_cpu_supports("avx512f") ? 1 : 0, __ATOMIC_RELAXED);
    }
    if (has && m >= 1 && m <= 2 * lanes) return few_rows_avx512(a, lda, b, ldb, c, ldc, m, n, k, alpha, beta);
#endif
    return -1;
}
