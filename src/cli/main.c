/* berth [-H unix://PATH] COMMAND ...: the CLI (issue 13). BERTH_HOST sets
 * the socket too; with neither, the default socket, and a daemon is
 * started there if none answers. */
#include "cli.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
} commands[] = {
    {"run", cmd_run},         {"ps", cmd_ps},           {"logs", cmd_logs},
    {"stop", cmd_stop},       {"rm", cmd_rm},           {"images", cmd_images},
    {"version", cmd_version}, {"create", cmd_create},   {"start", cmd_start},
    {"kill", cmd_kill},       {"inspect", cmd_inspect}, {"wait", cmd_wait},
    {"info", cmd_info},       {"restart", cmd_restart}, {"rename", cmd_rename},
    {"pause", cmd_pause},     {"unpause", cmd_unpause}, {"top", cmd_top},
    {"exec", cmd_exec},       {"attach", cmd_attach},   {"stats", cmd_stats},
    {"volume", cmd_volume},   {"rmi", cmd_rmi},         {"tag", cmd_tag},
    {"image", cmd_image},     {"load", cmd_load},       {"save", cmd_save},
    {"import", cmd_import},   {"events", cmd_events},   {"update", cmd_update},
    {"network", cmd_network}, {"port", cmd_port},       {"pull", cmd_pull},
    {"login", cmd_login},     {"logout", cmd_logout},   {"push", cmd_push},
    {"history", cmd_history}, {"build", cmd_build},     {"cp", cmd_cp},
    {"export", cmd_export},   {"commit", cmd_commit},   {"up", cmd_up},
    {"down", cmd_down},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: berth [-H unix://PATH] COMMAND [OPTIONS]\n"
               "commands: run create start stop restart kill rm ps logs exec attach inspect wait\n"
               "          top pause unpause rename stats update images volume network info\n"
               "          version image rmi tag load save import events port pull login\n"
               "          logout push history build up down cp export commit\n"
               "          container ls|prune|COMMAND\n");
}

int main(int argc, char **argv)
{
    int i = 1;
    cli_arena_install();
    arg_host = getenv("BERTH_HOST");
    if (arg_host && *arg_host == '\0')
        arg_host = NULL;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if ((streq(argv[i], "-H") || streq(argv[i], "--host")) && i + 1 < argc) {
            arg_host = argv[++i];
        } else if (strncmp(argv[i], "--host=", 7) == 0) {
            arg_host = argv[i] + 7;
        } else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (streq(argv[i], "-v") || streq(argv[i], "--version")) {
            printf("berth version %s\n", BERTH_VERSION);
            return 0;
        } else {
            return cli_error(125, "unknown flag '%s'; see --help", argv[i]);
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 125;
    }
    /* docker's management form: berth container ls|prune|COMMAND ... */
    if (streq(argv[i], "container") && i + 1 < argc) {
        i++;
        if (streq(argv[i], "prune"))
            return cmd_container_prune(argc - i, argv + i);
        if (streq(argv[i], "ls") || streq(argv[i], "list")) {
            argv[i] = "ps";
            return cmd_ps(argc - i, argv + i);
        }
    } else if (streq(argv[i], "container")) {
        return cli_error(125, "usage: berth container ls|prune|COMMAND [OPTIONS]");
    }
    for (size_t k = 0; k < ARRAY_SIZE(commands); k++)
        if (streq(argv[i], commands[k].name))
            return commands[k].fn(argc - i, argv + i);
    return cli_error(125, "unknown command '%s'; see --help", argv[i]);
}
