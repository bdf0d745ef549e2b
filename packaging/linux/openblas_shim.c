/* A stand-in for OpenCV's private OpenBLAS in the Linux bundle (see packaging/blas_shim.py).
 *
 * opencv-python's wheel carries its own OpenBLAS (~39 MB, plus libgfortran/libquadmath) next
 * to numpy's (~25 MB). cv2 calls only the few BLAS/LAPACK routines below, with 32-bit integers
 * (LP64); numpy's OpenBLAS is a 64-bit-integer build (ILP64) whose symbols carry a "scipy_"
 * prefix and a "64_" suffix. This library takes the place of cv2's copy (same SONAME, given at
 * build time) and forwards every call to numpy's copy, widening the integers and copying the
 * integer arrays (pivots, workspace) both ways. Same code runs, one copy of it ships.
 *
 * LAPACK routines are Fortran: every argument by pointer, and with gfortran a hidden length
 * per character argument after the others (passed here as 1; a caller that doesn't pass them
 * is fine too: we never read ours).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef int32_t i32;
typedef int64_t i64;

#define FWD_GEMM(T, NAME, ALPHA, BETA)                                                         \
    extern void scipy_cblas_##NAME##64_(int, int, int, i64, i64, i64, ALPHA, const T *, i64,   \
                                        const T *, i64, BETA, T *, i64);                      \
    void cblas_##NAME(int order, int ta, int tb, i32 m, i32 n, i32 k, ALPHA alpha,             \
                      const T *a, i32 lda, const T *b, i32 ldb, BETA beta, T *c, i32 ldc) {   \
        scipy_cblas_##NAME##64_(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);  \
    }

FWD_GEMM(float, sgemm, float, float)
FWD_GEMM(double, dgemm, double, double)
FWD_GEMM(void, cgemm, const void *, const void *)
FWD_GEMM(void, zgemm, const void *, const void *)

/* An i64 copy of an i32 array (NULL when n <= 0 or out of memory: the caller reports info). */
static i64 *widen(const i32 *src, i64 n) {
    if (n <= 0) return NULL;
    i64 *dst = malloc((size_t)n * sizeof *dst);
    if (dst && src)
        for (i64 i = 0; i < n; i++) dst[i] = src[i];
    return dst;
}

static void narrow(i32 *dst, const i64 *src, i64 n) {
    for (i64 i = 0; i < n; i++) dst[i] = (i32)src[i];
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define OUT_OF_MEMORY(info) do { *(info) = -1000; return; } while (0)

#define FWD_GETRF(T, P)                                                                        \
    extern void scipy_##P##getrf_64_(const i64 *, const i64 *, T *, const i64 *, i64 *, i64 *); \
    void P##getrf_(const i32 *m, const i32 *n, T *a, const i32 *lda, i32 *ipiv, i32 *info) {   \
        i64 M = *m, N = *n, LDA = *lda, INFO = 0, k = MIN(M, N);                               \
        i64 *piv = widen(NULL, k);                                                             \
        if (k > 0 && !piv) OUT_OF_MEMORY(info);                                                \
        scipy_##P##getrf_64_(&M, &N, a, &LDA, piv, &INFO);                                     \
        if (piv) narrow(ipiv, piv, k);                                                         \
        free(piv);                                                                             \
        *info = (i32)INFO;                                                                     \
    }

#define FWD_GESV(T, P)                                                                         \
    extern void scipy_##P##gesv_64_(const i64 *, const i64 *, T *, const i64 *, i64 *, T *,    \
                                    const i64 *, i64 *);                                       \
    void P##gesv_(const i32 *n, const i32 *nrhs, T *a, const i32 *lda, i32 *ipiv, T *b,        \
                  const i32 *ldb, i32 *info) {                                                 \
        i64 N = *n, NRHS = *nrhs, LDA = *lda, LDB = *ldb, INFO = 0;                            \
        i64 *piv = widen(NULL, N);                                                             \
        if (N > 0 && !piv) OUT_OF_MEMORY(info);                                                \
        scipy_##P##gesv_64_(&N, &NRHS, a, &LDA, piv, b, &LDB, &INFO);                          \
        if (piv) narrow(ipiv, piv, N);                                                         \
        free(piv);                                                                             \
        *info = (i32)INFO;                                                                     \
    }

#define FWD_POTRF(T, P)                                                                        \
    extern void scipy_##P##potrf_64_(const char *, const i64 *, T *, const i64 *, i64 *,       \
                                     size_t);                                                  \
    void P##potrf_(const char *uplo, const i32 *n, T *a, const i32 *lda, i32 *info) {          \
        i64 N = *n, LDA = *lda, INFO = 0;                                                      \
        scipy_##P##potrf_64_(uplo, &N, a, &LDA, &INFO, 1);                                     \
        *info = (i32)INFO;                                                                     \
    }

#define FWD_POSV(T, P)                                                                         \
    extern void scipy_##P##posv_64_(const char *, const i64 *, const i64 *, T *, const i64 *,  \
                                    T *, const i64 *, i64 *, size_t);                          \
    void P##posv_(const char *uplo, const i32 *n, const i32 *nrhs, T *a, const i32 *lda, T *b, \
                  const i32 *ldb, i32 *info) {                                                 \
        i64 N = *n, NRHS = *nrhs, LDA = *lda, LDB = *ldb, INFO = 0;                            \
        scipy_##P##posv_64_(uplo, &N, &NRHS, a, &LDA, b, &LDB, &INFO, 1);                      \
        *info = (i32)INFO;                                                                     \
    }

#define FWD_GEQRF(T, P)                                                                        \
    extern void scipy_##P##geqrf_64_(const i64 *, const i64 *, T *, const i64 *, T *, T *,     \
                                     const i64 *, i64 *);                                      \
    void P##geqrf_(const i32 *m, const i32 *n, T *a, const i32 *lda, T *tau, T *work,          \
                   const i32 *lwork, i32 *info) {                                              \
        i64 M = *m, N = *n, LDA = *lda, LWORK = *lwork, INFO = 0;                              \
        scipy_##P##geqrf_64_(&M, &N, a, &LDA, tau, work, &LWORK, &INFO);                       \
        *info = (i32)INFO;                                                                     \
    }

#define FWD_GELS(T, P)                                                                         \
    extern void scipy_##P##gels_64_(const char *, const i64 *, const i64 *, const i64 *, T *,  \
                                    const i64 *, T *, const i64 *, T *, const i64 *, i64 *,    \
                                    size_t);                                                   \
    void P##gels_(const char *trans, const i32 *m, const i32 *n, const i32 *nrhs, T *a,        \
                  const i32 *lda, T *b, const i32 *ldb, T *work, const i32 *lwork, i32 *info) { \
        i64 M = *m, N = *n, NRHS = *nrhs, LDA = *lda, LDB = *ldb, LWORK = *lwork, INFO = 0;    \
        scipy_##P##gels_64_(trans, &M, &N, &NRHS, a, &LDA, b, &LDB, work, &LWORK, &INFO, 1);   \
        *info = (i32)INFO;                                                                     \
    }

#define FWD_GESDD(T, P)                                                                        \
    extern void scipy_##P##gesdd_64_(const char *, const i64 *, const i64 *, T *, const i64 *, \
                                     T *, T *, const i64 *, T *, const i64 *, T *,             \
                                     const i64 *, i64 *, i64 *, size_t);                       \
    void P##gesdd_(const char *jobz, const i32 *m, const i32 *n, T *a, const i32 *lda, T *s,   \
                   T *u, const i32 *ldu, T *vt, const i32 *ldvt, T *work, const i32 *lwork,    \
                   i32 *iwork, i32 *info) {                                                    \
        i64 M = *m, N = *n, LDA = *lda, LDU = *ldu, LDVT = *ldvt, LWORK = *lwork, INFO = 0;    \
        i64 k = 8 * MIN(M, N);                                                                 \
        i64 *iw = widen(NULL, k);                                                              \
        if (k > 0 && !iw) OUT_OF_MEMORY(info);                                                 \
        scipy_##P##gesdd_64_(jobz, &M, &N, a, &LDA, s, u, &LDU, vt, &LDVT, work, &LWORK, iw,   \
                             &INFO, 1);                                                        \
        if (iw) narrow(iwork, iw, k);                                                          \
        free(iw);                                                                              \
        *info = (i32)INFO;                                                                     \
    }

#define FWD_GEEV(T, P)                                                                         \
    extern void scipy_##P##geev_64_(const char *, const char *, const i64 *, T *, const i64 *, \
                                    T *, T *, T *, const i64 *, T *, const i64 *, T *,         \
                                    const i64 *, i64 *, size_t, size_t);                       \
    void P##geev_(const char *jobvl, const char *jobvr, const i32 *n, T *a, const i32 *lda,    \
                  T *wr, T *wi, T *vl, const i32 *ldvl, T *vr, const i32 *ldvr, T *work,       \
                  const i32 *lwork, i32 *info) {                                               \
        i64 N = *n, LDA = *lda, LDVL = *ldvl, LDVR = *ldvr, LWORK = *lwork, INFO = 0;          \
        scipy_##P##geev_64_(jobvl, jobvr, &N, a, &LDA, wr, wi, vl, &LDVL, vr, &LDVR, work,     \
                            &LWORK, &INFO, 1, 1);                                              \
        *info = (i32)INFO;                                                                     \
    }

#define FWD_ALL(T, P) \
    FWD_GETRF(T, P) FWD_GESV(T, P) FWD_POTRF(T, P) FWD_POSV(T, P) FWD_GEQRF(T, P) \
    FWD_GELS(T, P) FWD_GESDD(T, P)

FWD_ALL(float, s)
FWD_ALL(double, d)
FWD_GEEV(double, d)
