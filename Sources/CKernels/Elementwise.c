// Elementwise loops of training: the activations with an exponential, attention's softmax and the
// AdamW update. Each loop is written once (the `*_body` functions) and compiled three times, for
// AVX-512, AVX2 and the baseline, the caller passing the level (`vlm_isa_best`): the Swift targets
// are built for baseline x86-64, where these loops ran four lanes wide and the activations called
// glibc's scalar expf for every element.
//
// No multiply-add is fused (the pragma, and -ffp-contract=off in Package.swift for compilers that
// ignore it), so every level gives the same bits: AVX-512 and AVX2 change how many elements a
// loop takes at once, never what it computes for one of them. -fno-math-errno lets AdamW's sqrtf
// vectorise.
#include "CKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

#define BODY static inline __attribute__((always_inline))

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512dq")))
#define AVX2 __attribute__((target("avx2,fma")))
#else
#define AVX512
#define AVX2
#endif

// The three compilations of one body, and the call that picks among them.
#define VARIANTS(name, params, args)                        \
    AVX512 static void name##_avx512 params { name##_body args; } \
    AVX2 static void name##_avx2 params { name##_body args; }     \
    static void name##_plain params { name##_body args; }
#define DISPATCH(isa, name, args)          \
    switch (isa) {                         \
    case 2: name##_avx512 args; break;     \
    case 1: name##_avx2 args; break;       \
    default: name##_plain args; break;     \
    }

int vlm_isa_supported(int isa) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (isa == 2) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    if (isa == 1) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return isa == 0;
}

int vlm_isa_best(void) {
    // Threads that race here store the same value.
    static int best = -1;
    int level = __atomic_load_n(&best, __ATOMIC_RELAXED);
    if (level < 0) {
        level = vlm_isa_supported(2) ? 2 : vlm_isa_supported(1) ? 1 : 0;
        __atomic_store_n(&best, level, __ATOMIC_RELAXED);
    }
    return level;
}

static inline float from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

// e^x within 2 ulp, branch-free so that loops over it vectorise: the same steps as Swift's
// `VectorMath.exp` (Cephes' expf: x = n·ln2 + r, e^r by a degree-6 polynomial), the same bits.
BODY float vexp(float x) {
    const float magic = 12582912.0f; // 1.5·2²³: adding it rounds to an integer in the low bits
    float c = x > -87.33655f ? x : -87.33655f;
    c = c < 88.72283f ? c : 88.72283f;
    float shifted = c * 1.4426950408889634f + magic;
    float n = shifted - magic;
    float r = (c - n * 0.693359375f) + n * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1;
    // 2^n in two halves: n reaches 128 and -126, beyond one normal exponent
    int32_t whole = (int32_t)(to_bits(shifted) - to_bits(magic));
    int32_t half = whole >> 1;
    float result = p * from_bits((uint32_t)(half + 127) << 23) * from_bits((uint32_t)(whole - half + 127) << 23);
    result = x < -87.33655f ? 0.0f : result;
    result = x > 88.72283f ? INFINITY : result;
    return x != x ? x : result;
}

// SwiGLU: out = silu(gate) · up; backward accumulates into dGate and dUp.
BODY void swiglu_body(const float *gate, const float *up, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = gate[i] / (1 + vexp(-gate[i])) * up[i];
}
VARIANTS(swiglu, (const float *gate, const float *up, float *out, size_t n), (gate, up, out, n))

BODY void swiglu_backward_body(const float *d, const float *gate, const float *up, float *dgate, float *dup, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = gate[i], s = 1 / (1 + vexp(-x));
        dup[i] += d[i] * x * s;
        dgate[i] += d[i] * up[i] * s * (1 + x * (1 - s));
    }
}
VARIANTS(swiglu_backward, (const float *d, const float *gate, const float *up, float *dgate, float *dup, size_t n),
         (d, gate, up, dgate, dup, n))

// GELU with the tanh approximation as x · σ(2u), u = √(2/π)(x + 0.044715 x³): 0.5(1 + tanh u) = σ(2u).
#define SQRT_2_OVER_PI 0.7978845608028654f
BODY void gelu_tanh_body(const float *x, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        out[i] = v / (1 + vexp(-2 * SQRT_2_OVER_PI * (v + 0.044715f * v * v * v)));
    }
}
VARIANTS(gelu_tanh, (const float *x, float *out, size_t n), (x, out, n))

BODY void gelu_tanh_backward_body(const float *d, const float *x, float *dx, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float s = 1 / (1 + vexp(-2 * SQRT_2_OVER_PI * (v + 0.044715f * v * v * v)));
        float du = SQRT_2_OVER_PI * (1 + 3 * 0.044715f * v * v);
        dx[i] += d[i] * (s + 2 * v * s * (1 - s) * du);
    }
}
VARIANTS(gelu_tanh_backward, (const float *d, const float *x, float *dx, size_t n), (d, x, dx, n))

// QuickGELU: x · σ(1.702 x).
BODY void quick_gelu_body(const float *x, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = x[i] / (1 + vexp(-1.702f * x[i]));
}
VARIANTS(quick_gelu, (const float *x, float *out, size_t n), (x, out, n))

BODY void quick_gelu_backward_body(const float *d, const float *x, float *dx, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i], s = 1 / (1 + vexp(-1.702f * v));
        dx[i] += d[i] * s * (1 + 1.702f * v * (1 - s));
    }
}
VARIANTS(quick_gelu_backward, (const float *d, const float *x, float *dx, size_t n), (d, x, dx, n))

// Softmax of one row in place. The maximum and the sum are kept in 16 lanes combined in a fixed
// order, so the result does not depend on how wide the machine's vectors are.
#define LANES 16
BODY void softmax_body(float *row, size_t n) {
    float lanes[LANES];
    for (int l = 0; l < LANES; l++) lanes[l] = -INFINITY;
    size_t body = n - n % LANES;
    for (size_t i = 0; i < body; i += LANES)
        for (int l = 0; l < LANES; l++) lanes[l] = row[i + l] > lanes[l] ? row[i + l] : lanes[l];
    for (size_t i = body; i < n; i++) lanes[i - body] = row[i] > lanes[i - body] ? row[i] : lanes[i - body];
    float max = -INFINITY;
    for (int l = 0; l < LANES; l++) max = lanes[l] > max ? lanes[l] : max;
    if (max == -INFINITY) { // nothing visible: no probability anywhere
        memset(row, 0, n * sizeof(float));
        return;
    }
    for (int l = 0; l < LANES; l++) lanes[l] = 0;
    for (size_t i = 0; i < body; i += LANES)
        for (int l = 0; l < LANES; l++) {
            row[i + l] = vexp(row[i + l] - max);
            lanes[l] += row[i + l];
        }
    for (size_t i = body; i < n; i++) {
        row[i] = vexp(row[i] - max);
        lanes[i - body] += row[i];
    }
    for (int width = LANES / 2; width > 0; width /= 2)
        for (int l = 0; l < width; l++) lanes[l] += lanes[l + width];
    float inv = 1 / lanes[0];
    for (size_t i = 0; i < n; i++) row[i] *= inv;
}
VARIANTS(softmax, (float *row, size_t n), (row, n))

// AdamW as torch.optim.AdamW computes it, the gradient scaled first (the clipping's coefficient).
BODY void adamw_body(float *p, const float *g, float *m, float *v, size_t n, const vlm_adamw_step *s) {
    const float scale = s->gradient_scale, keep = s->keep, b1 = s->beta1, b2 = s->beta2;
    const float step = s->step_size, c2 = s->correction2_sqrt, eps = s->epsilon;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * scale;
        p[i] *= keep;
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] -= step * m[i] / (sqrtf(v[i]) / c2 + eps);
    }
}
VARIANTS(adamw, (float *p, const float *g, float *m, float *v, size_t n, const vlm_adamw_step *s), (p, g, m, v, n, s))

void vlm_swiglu_f32(int isa, const float *gate, const float *up, float *out, size_t n) {
    DISPATCH(isa, swiglu, (gate, up, out, n))
}
void vlm_swiglu_backward_f32(int isa, const float *d, const float *gate, const float *up, float *dgate, float *dup, size_t n) {
    DISPATCH(isa, swiglu_backward, (d, gate, up, dgate, dup, n))
}
void vlm_gelu_tanh_f32(int isa, const float *x, float *out, size_t n) { DISPATCH(isa, gelu_tanh, (x, out, n)) }
void vlm_gelu_tanh_backward_f32(int isa, const float *d, const float *x, float *dx, size_t n) {
    DISPATCH(isa, gelu_tanh_backward, (d, x, dx, n))
}
void vlm_quick_gelu_f32(int isa, const float *x, float *out, size_t n) { DISPATCH(isa, quick_gelu, (x, out, n)) }
void vlm_quick_gelu_backward_f32(int isa, const float *d, const float *x, float *dx, size_t n) {
    DISPATCH(isa, quick_gelu_backward, (d, x, dx, n))
}
void vlm_softmax_f32(int isa, float *row, size_t n) { DISPATCH(isa, softmax, (row, n)) }
void vlm_adamw_f32(int isa, float *p, const float *g, float *m, float *v, size_t n, const vlm_adamw_step *s) {
    DISPATCH(isa, adamw, (p, g, m, v, n, s))
}
