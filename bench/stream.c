/* STREAM-like read bandwidth: sums a buffer of n float64 (as large as the suite's x
   column) on every core, the most a scan over that column can go. Prints the best of
   `repeat` passes as JSON: {"bytes": ..., "seconds": ..., "gbps": ...}.
   Built and run by bench/suite.py:  gcc -O3 -march=native -fopenmp stream.c -o stream && ./stream n repeat */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: stream <doubles> <repeat>\n"); return 2; }
    long n = atol(argv[1]), repeat = atol(argv[2]);
    if (n <= 0 || repeat <= 0) { fprintf(stderr, "stream: n and repeat must be positive\n"); return 2; }
    double *a = malloc(sizeof(double) * (size_t)n);
    if (!a) { fprintf(stderr, "stream: cannot allocate %ld doubles\n", n); return 1; }
    /* First touch on the threads that read it later. */
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) a[i] = (double)(i & 1023);
    double best = 1e30, check = 0;
    for (long r = 0; r < repeat; r++) {
        double s = 0, t = omp_get_wtime();
        /* Eight independent sums per thread: one chain of dependent adds would bound
           the loop by the adder's latency, not by memory. */
        #pragma omp parallel reduction(+:s)
        {
            double acc[8] = {0};
            #pragma omp for schedule(static)
            for (long i = 0; i < n / 8 * 8; i += 8)
                for (int j = 0; j < 8; j++) acc[j] += a[i + j];
            for (int j = 0; j < 8; j++) s += acc[j];
        }
        for (long i = n / 8 * 8; i < n; i++) s += a[i];
        t = omp_get_wtime() - t;
        if (t < best) best = t;
        check += s;
    }
    double bytes = sizeof(double) * (double)n;
    printf("{\"bytes\": %.0f, \"seconds\": %.6f, \"gbps\": %.3f, \"threads\": %d, \"check\": %.1f}\n",
           bytes, best, bytes / best / 1e9, omp_get_max_threads(), check);
    free(a);
    return 0;
}
