/* io_pulse [FILE] [KIB] [SLEEP_MS] [ROUNDS]: the reference systems'
 * I/O-bound seed workload. Writes KIB (default 1024) to FILE (default
 * /tmp/io_pulse.dat), fsyncs, sleeps SLEEP_MS (default 100), ROUNDS times
 * (default: for ever), printing each burst's time. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/tmp/io_pulse.dat";
    long kib = argc > 2 ? atol(argv[2]) : 1024, ms = argc > 3 ? atol(argv[3]) : 100;
    long rounds = argc > 4 ? atol(argv[4]) : 0;
    static char block[4096];
    memset(block, 'x', sizeof(block));
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long r = 0; rounds <= 0 || r < rounds; r++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            perror(path);
            return 1;
        }
        double t = now();
        for (long k = 0; k < kib; k += 4)
            if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
                perror("write");
                return 1;
            }
        if (fsync(fd) < 0) {
            perror("fsync");
            return 1;
        }
        close(fd);
        printf("io_pulse: %ld KiB in %.1f ms\n", kib, (now() - t) * 1e3);
        struct timespec sl = {ms / 1000, (ms % 1000) * 1000000};
        nanosleep(&sl, NULL);
    }
    return 0;
}
