#pragma once
/* berth-runtime: shared state of the front end (argv mapping only). */
#include <stdbool.h>

struct berth_error;

/* Global options (STYLE.md: CLI option globals are arg_*). */
extern const char *arg_root;
extern bool arg_debug;

/* Prints an error once: "berth-runtime: MSG" on stderr, and to --log in the
 * chosen format. Returns 1, the exit status for failures. */
int rt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rt_fail(struct berth_error *e);

/* Usage error for a command: prints the usage line and returns 1 (runc
 * returns 1 for usage errors too). */
int rt_usage(const char *usage);
/* For getopt's '?': names the option getopt refused, then the usage. */
int rt_bad_option(char **argv, const char *usage);

/* Command entry points: argv[0] is the command name. */
int cmd_spec(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_restore(int argc, char **argv);
