/* berth-init -- COMMAND [ARG...]: the PID 1 of a container run with
 * --init (docker's /sbin/docker-init, tini's job). It starts the command,
 * forwards every signal it gets to it, reaps whatever is reparented to it
 * (zombies of daemons that double-fork) and exits as the command did:
 * its status, or 128 + the signal that ended it. Static, libc only: it is
 * bind-mounted read-only into images that may have no libc at all. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t start(char **argv, const sigset_t *old)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    sigprocmask(SIG_SETMASK, old, NULL);
    execvp(argv[0], argv);
    fprintf(stderr, "berth-init: cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

/* Reaps every child that has ended; true once `child` has, its exit code
 * in *code. */
static int reap(pid_t child, int *code)
{
    int status, done = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid != child)
            continue;
        done = 1;
        *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return done;
}

int main(int argc, char **argv)
{
    sigset_t all, old;
    int i = 1, code = 0;
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        fprintf(stderr, "berth-init: usage: berth-init -- COMMAND [ARG...]\n");
        return 2;
    }
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pid_t child = start(argv + i, &old);
    if (child < 0) {
        perror("berth-init: fork");
        return 1;
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0)
            continue;
        if (sig == SIGCHLD) {
            if (reap(child, &code))
                return code;
        } else if (sig != SIGTTIN && sig != SIGTTOU) {
            kill(child, sig);
        }
    }
}
