/* memory_hog [STEP_MIB] [STEPS] [SLEEP_MS]: the reference systems' memory
 * seed workload. Allocates STEP_MIB (default 8) and touches every page,
 * STEPS times (default: for ever), sleeping SLEEP_MS (default 200) between
 * steps and printing the total ("memory_hog: N MiB"); then holds the
 * memory until killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long step = argc > 1 ? atol(argv[1]) : 8, steps = argc > 2 ? atol(argv[2]) : 0;
    long ms = argc > 3 ? atol(argv[3]) : 200;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (step <= 0) {
        fprintf(stderr, "memory_hog: STEP_MIB must be positive\n");
        return 2;
    }
    for (long i = 1; steps <= 0 || i <= steps; i++) {
        char *p = malloc((size_t)step << 20);
        if (p == NULL) {
            fprintf(stderr, "memory_hog: out of memory after %ld MiB\n", (i - 1) * step);
            return 1;
        }
        memset(p, (int)i, (size_t)step << 20);
        printf("memory_hog: %ld MiB\n", i * step);
        struct timespec sl = {ms / 1000, (ms % 1000) * 1000000};
        nanosleep(&sl, NULL);
    }
    for (;;)
        pause();
}
