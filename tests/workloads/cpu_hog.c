/* cpu_hog [SECONDS]: the reference systems' CPU-bound seed workload. Spins,
 * printing each second how many loop rounds it did ("cpu_hog: N rounds/s"),
 * for SECONDS (default: for ever). Static, no libc beyond the basics, so it
 * runs in any image. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0, start = now(), mark = start;
    volatile unsigned long x = 0;
    unsigned long rounds = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (;;) {
        for (int i = 0; i < 100000; i++)
            x += (unsigned long)i * 2654435761u;
        rounds++;
        double t = now();
        if (t - mark >= 1.0) {
            printf("cpu_hog: %lu rounds/s\n", (unsigned long)(rounds / (t - mark)));
            rounds = 0;
            mark = t;
        }
        if (secs > 0 && t - start >= secs)
            return 0;
    }
}
