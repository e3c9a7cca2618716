/* peak.c: measures this machine's peak fp32 FLOP/s with AVX-512 FMA.
 *
 * Each thread runs chains of _mm512_fmadd_ps on ACC independent zmm
 * accumulators (enough to cover the FMA latency times the number of FMA
 * pipes), so the loop is bound by FMA throughput alone. Every FMA is
 * 16 lanes x 2 FLOPs. The values converge (a = a*b + c with b < 1), so no
 * overflow, NaN or denormal slows anything down.
 *
 * Build: cc -O2 -mavx512f -mfma -march=native -pthread bench/peak.c -o peak
 * Usage: peak THREADS [SECONDS] [TRIALS]
 * Prints one line: "threads=N gflops=X" with X the best of TRIALS trials
 * (default 5) of about SECONDS each (default 0.3): the machine is shared, so
 * the best trial is the closest to the hardware's peak.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ACC 16 /* independent accumulators per thread */

static volatile float sink;
static long iterations;
static pthread_barrier_t barrier;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ACC chains of `n` dependent FMAs each. */
static float fma_chains(long n) {
  __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
  __m512 a0 = _mm512_set1_ps(0.10f), a1 = _mm512_set1_ps(0.11f);
  __m512 a2 = _mm512_set1_ps(0.12f), a3 = _mm512_set1_ps(0.13f);
  __m512 a4 = _mm512_set1_ps(0.14f), a5 = _mm512_set1_ps(0.15f);
  __m512 a6 = _mm512_set1_ps(0.16f), a7 = _mm512_set1_ps(0.17f);
  __m512 a8 = _mm512_set1_ps(0.18f), a9 = _mm512_set1_ps(0.19f);
  __m512 a10 = _mm512_set1_ps(0.20f), a11 = _mm512_set1_ps(0.21f);
  __m512 a12 = _mm512_set1_ps(0.22f), a13 = _mm512_set1_ps(0.23f);
  __m512 a14 = _mm512_set1_ps(0.24f), a15 = _mm512_set1_ps(0.25f);
  for (long i = 0; i < n; ++i) {
    a0 = _mm512_fmadd_ps(a0, b, c);
    a1 = _mm512_fmadd_ps(a1, b, c);
    a2 = _mm512_fmadd_ps(a2, b, c);
    a3 = _mm512_fmadd_ps(a3, b, c);
    a4 = _mm512_fmadd_ps(a4, b, c);
    a5 = _mm512_fmadd_ps(a5, b, c);
    a6 = _mm512_fmadd_ps(a6, b, c);
    a7 = _mm512_fmadd_ps(a7, b, c);
    a8 = _mm512_fmadd_ps(a8, b, c);
    a9 = _mm512_fmadd_ps(a9, b, c);
    a10 = _mm512_fmadd_ps(a10, b, c);
    a11 = _mm512_fmadd_ps(a11, b, c);
    a12 = _mm512_fmadd_ps(a12, b, c);
    a13 = _mm512_fmadd_ps(a13, b, c);
    a14 = _mm512_fmadd_ps(a14, b, c);
    a15 = _mm512_fmadd_ps(a15, b, c);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                           _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15)));
  return _mm512_reduce_add_ps(_mm512_add_ps(s, t));
}

static void *worker(void *arg) {
  (void)arg;
  pthread_barrier_wait(&barrier);
  float r = fma_chains(iterations);
  pthread_barrier_wait(&barrier);
  sink = r;
  return NULL;
}

/* One trial: all threads run `iterations` and the wall time covers them all
 * (between the two barriers). Returns GFLOP/s. */
static double trial(int threads) {
  pthread_t tid[256];
  pthread_barrier_init(&barrier, NULL, threads + 1);
  for (int t = 0; t < threads; ++t) pthread_create(&tid[t], NULL, worker, NULL);
  pthread_barrier_wait(&barrier);
  double t0 = now();
  pthread_barrier_wait(&barrier);
  double t1 = now();
  for (int t = 0; t < threads; ++t) pthread_join(tid[t], NULL);
  pthread_barrier_destroy(&barrier);
  double flops = (double)threads * iterations * ACC * 16 * 2;
  return flops / (t1 - t0) * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: peak THREADS [SECONDS] [TRIALS]\n");
    return 2;
  }
  int threads = atoi(argv[1]);
  double seconds = argc > 2 ? atof(argv[2]) : 0.3;
  int trials = argc > 3 ? atoi(argv[3]) : 5;
  if (threads < 1 || threads > 256 || seconds <= 0 || trials < 1) {
    fprintf(stderr, "peak: bad arguments\n");
    return 2;
  }
  /* Calibrate the iteration count on one thread to about `seconds`. */
  iterations = 1000000;
  double t0 = now();
  sink = fma_chains(iterations);
  double dt = now() - t0;
  iterations = (long)(iterations * seconds / (dt > 1e-6 ? dt : 1e-6));
  if (iterations < 1000) iterations = 1000;
  double best = 0;
  for (int i = 0; i < trials; ++i) {
    double g = trial(threads);
    if (g > best) best = g;
  }
  printf("threads=%d gflops=%.1f\n", threads, best);
  return 0;
}
