// Matrix-vector products for decoding, one kernel per instruction set, picked once at run time:
// the binary is built for the baseline x86-64 (or arm64), and these loops are where AVX-512's
// wide loads pay (a decoding step streams every weight once).
#include "CKernels.h"

static void gemv_f32_plain(const float *w, size_t ldw, const float *x, float *y,
                           size_t rows, size_t k, float alpha, float beta) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = w + r * ldw;
        float acc[8] = {0};
        size_t i = 0;
        for (; i + 8 <= k; i += 8)
            for (int l = 0; l < 8; l++) acc[l] += row[i + l] * x[i + l];
        float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; i < k; i++) s += row[i] * x[i];
        y[r] = alpha * s + (beta == 0 ? 0 : beta * y[r]);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// One row at a time: streaming rows one after another reads at the memory's rate here (24 GB/s
// on one core of an EPYC), where interleaving four rows to share the loads of x read at 14.
__attribute__((target("avx512f")))
static void gemv_f32_avx512(const float *w, size_t ldw, const float *x, float *y,
                            size_t rows, size_t k, float alpha, float beta) {
    const size_t body = k & ~(size_t)15;
    const __mmask16 tail = (__mmask16)((1u << (k & 15)) - 1);
    for (size_t r = 0; r < rows; r++) {
        const float *row = w + r * ldw;
        __m512 a = _mm512_setzero_ps();
        for (size_t i = 0; i < body; i += 16) a = _mm512_fmadd_ps(_mm512_loadu_ps(row + i), _mm512_loadu_ps(x + i), a);
        if (tail) a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, row + body), _mm512_maskz_loadu_ps(tail, x + body), a);
        y[r] = alpha * _mm512_reduce_add_ps(a) + (beta == 0 ? 0 : beta * y[r]);
    }
}

// AVX2 with FMA: one row at a time in two accumulators of eight lanes, the tail in scalars.
__attribute__((target("avx2,fma")))
static void gemv_f32_avx2(const float *w, size_t ldw, const float *x, float *y,
                          size_t rows, size_t k, float alpha, float beta) {
    const size_t body = k & ~(size_t)7;
    for (size_t r = 0; r < rows; r++) {
        const float *row = w + r * ldw;
        __m256 a = _mm256_setzero_ps(), b = a;
        size_t i = 0;
        for (; i + 16 <= body; i += 16) {
            a = _mm256_fmadd_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(x + i), a);
            b = _mm256_fmadd_ps(_mm256_loadu_ps(row + i + 8), _mm256_loadu_ps(x + i + 8), b);
        }
        if (i < body) a = _mm256_fmadd_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(x + i), a);
        a = _mm256_add_ps(a, b);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
        float s = _mm_cvtss_f32(h);
        for (i = body; i < k; i++) s += row[i] * x[i];
        y[r] = alpha * s + (beta == 0 ? 0 : beta * y[r]);
    }
}

#endif

typedef void (*gemv_f32_fn)(const float *, size_t, const float *, float *, size_t, size_t, float, float);

// Picked at the first call; threads that race there store the same pointer.
static gemv_f32_fn pick_f32(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return gemv_f32_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return gemv_f32_avx2;
#endif
    return gemv_f32_plain;
}

int vlm_gemv_rows_f32_isa(int isa, const float *w, size_t ldw, const float *x, float *y,
                          size_t rows, size_t k, float alpha, float beta) {
    gemv_f32_fn fn = gemv_f32_plain;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (isa == 2 && !__builtin_cpu_supports("avx512f")) return -1;
    if (isa == 1 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return -1;
    if (isa == 2) fn = gemv_f32_avx512;
    if (isa == 1) fn = gemv_f32_avx2;
#else
    if (isa != 0) return -1;
#endif
    fn(w, ldw, x, y, rows, k, alpha, beta);
    return 0;
}

void vlm_gemv_rows_f32(const float *w, size_t ldw, const float *x, float *y,
                       size_t rows, size_t k, float alpha, float beta) {
    static gemv_f32_fn chosen;
    gemv_f32_fn fn = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (!fn) __atomic_store_n(&chosen, fn = pick_f32(), __ATOMIC_RELAXED);
    fn(w, ldw, x, y, rows, k, alpha, beta);
}

