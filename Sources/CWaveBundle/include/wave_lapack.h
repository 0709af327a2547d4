// LAPACK's symmetric eigen-solver, which OpenBLAS exports (libopenblas.so, linked through COpenBLAS).
// Declared here because Debian's cblas.h does not declare the Fortran LAPACK entry points. The Gram
// matrices of the data-free fit are small, so the divide-and-conquer driver in double precision is plenty.
#ifndef WAVE_LAPACK_H
#define WAVE_LAPACK_H

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);

// Cholesky solve of A X = B for symmetric positive definite A (column-major), for ridge regressions.
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb,
            int *info);

#endif
