/* Workload files (src/cli/wlfile.c): both forms into one project, the
 * values each key takes, the start order, and the one error with its
 * line that each bad file gets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "util.h"
#include "wlfile.h"

static struct wl_project *parse_ok(const char *yaml)
{
    struct wl_project *p = NULL;
    _cleanup_error_ struct berth_error *err = NULL;
    int r = wl_parse(yaml, strlen(yaml), "dir/basic.yaml", &p, &err);
    if (r < 0)
        fail_msg("unexpected error: %s", err->msg);
    return p;
}

static void parse_bad(const char *yaml, const char *msg)
{
    struct wl_project *p = NULL;
    _cleanup_error_ struct berth_error *err = NULL;
    assert_int_equal(wl_parse(yaml, strlen(yaml), "f.yaml", &p, &err), -EINVAL);
    assert_null(p);
    assert_non_null(err);
    assert_string_equal(err->msg, msg);
}

static const char *str_at(json_t *a, size_t i)
{
    return json_string_value(json_array_get(a, i));
}

static void test_reference_seed(void **state)
{
    (void)state;
    struct wl_project *p = parse_ok("cpu: 2\nmemory: 512M\ngpu: true\ncommand: stress --cpu 2\n");
    assert_false(p->compose);
    assert_int_equal(p->n_services, 1);
    struct wl_service *s = &p->services[0];
    assert_string_equal(s->name, "basic");
    assert_string_equal(s->image, "berth-workloads"); /* the seeds' workloads */
    assert_int_equal(s->nano_cpus, 2000000000LL);
    assert_int_equal(s->memory, 512LL << 20);
    assert_int_equal(json_array_size(s->command), 3);
    assert_string_equal(str_at(s->command, 0), "stress");
    assert_string_equal(str_at(s->command, 2), "2");
    json_t *gpu = json_array_get(s->device_requests, 0);
    assert_int_equal(json_integer_value(json_object_get(gpu, "Count")), 1);
    assert_string_equal(str_at(json_array_get(json_object_get(gpu, "Capabilities"), 0), 0), "gpu");
    wl_project_free(p);
}

static void test_reference_list(void **state)
{
    (void)state;
    struct wl_project *p = parse_ok("- name: a\n  cpu: 0.5\n  memory_soft: 1G\n  cpuset: auto\n"
                                    "  env: {X: '1'}\n  restart: on-failure:3\n  gpu: 2\n"
                                    "- name: b\n  command: [echo, 'a b']\n  gpu: [0, 3]\n"
                                    "  env: [Y=2]\n");
    assert_int_equal(p->n_services, 2);
    assert_int_equal(p->services[0].nano_cpus, 500000000LL);
    assert_int_equal(p->services[0].memory_soft, 1LL << 30);
    assert_string_equal(p->services[0].cpuset, "auto");
    assert_string_equal(str_at(p->services[0].env, 0), "X=1");
    assert_string_equal(p->services[0].restart, "on-failure:3");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(p->services[0].device_requests, 0), "Count")),
                     2);
    assert_string_equal(str_at(p->services[1].command, 1), "a b");
    json_t *ids = json_object_get(json_array_get(p->services[1].device_requests, 0), "DeviceIDs");
    assert_string_equal(str_at(ids, 1), "3");
    assert_string_equal(str_at(p->services[1].env, 0), "Y=2");
    wl_project_free(p);
}

static void test_compose(void **state)
{
    (void)state;
    struct wl_project *p = parse_ok(
        "version: '3.8'\nname: shop\nservices:\n"
        "  web:\n    image: nginx\n    ports: ['8080:80', 443]\n    depends_on: [api]\n"
        "    networks: [front]\n    entrypoint: /bin/sh -c\n"
        "  api:\n    environment: [A=1]\n    depends_on:\n      db: {condition: service_healthy}\n"
        "    deploy:\n      resources:\n        limits: {cpus: '1.5', memory: 256M}\n"
        "        reservations:\n          memory: 128M\n          devices:\n"
        "            - capabilities: [gpu]\n              count: all\n"
        "  db:\n    volumes: ['data:/var/lib/db', './conf:/etc/db:ro']\n    mem_limit: 1g\n"
        "    healthcheck:\n      test: pg_isready\n      interval: 1s\n      retries: 3\n"
        "      start_period: 1m30s\n"
        "networks:\n  front: {internal: true}\nvolumes:\n  data:\n");
    assert_true(p->compose);
    assert_string_equal(p->name, "shop");
    assert_int_equal(p->n_services, 3);
    /* db, then api, then web */
    assert_string_equal(p->services[p->order[0]].name, "db");
    assert_string_equal(p->services[p->order[1]].name, "api");
    assert_string_equal(p->services[p->order[2]].name, "web");
    const struct wl_service *web = wl_service_find(p, "web"), *api = wl_service_find(p, "api"),
                            *db = wl_service_find(p, "db");
    assert_string_equal(str_at(web->ports, 1), "443");
    assert_string_equal(str_at(web->entrypoint, 1), "-c");
    assert_string_equal(str_at(web->networks, 0), "front");
    assert_int_equal(api->deps[0].condition, WL_SERVICE_HEALTHY);
    assert_int_equal(api->nano_cpus, 1500000000LL);
    assert_int_equal(api->memory, 256LL << 20);
    assert_int_equal(api->memory_soft, 128LL << 20);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(api->device_requests, 0), "Count")), -1);
    assert_int_equal(db->memory, 1LL << 30);
    assert_string_equal(str_at(json_object_get(db->healthcheck, "Test"), 0), "CMD-SHELL");
    assert_int_equal(json_integer_value(json_object_get(db->healthcheck, "Interval")),
                     1000000000LL);
    assert_int_equal(json_integer_value(json_object_get(db->healthcheck, "StartPeriod")),
                     90000000000LL);
    assert_int_equal(json_integer_value(json_object_get(db->healthcheck, "Retries")), 3);
    assert_true(p->networks[0].internal);
    assert_string_equal(p->volumes[0].name, "data");
    wl_project_free(p);
}

static void test_shell_split(void **state)
{
    (void)state;
    json_t *a = wl_shell_split("  sh -c 'echo \"a  b\"' \"x\\\"y\" z\\ w '' ");
    assert_int_equal(json_array_size(a), 6);
    assert_string_equal(str_at(a, 2), "echo \"a  b\"");
    assert_string_equal(str_at(a, 3), "x\"y");
    assert_string_equal(str_at(a, 4), "z w");
    assert_string_equal(str_at(a, 5), "");
    json_decref(a);
    assert_null(wl_shell_split("echo 'a"));
    assert_null(wl_shell_split("echo a\\"));
}

/* Compose's interpolation, before a string command is split */
static void test_interpolation(void **state)
{
    (void)state;
    setenv("WL_X", "v", 1);
    unsetenv("WL_NOPE");
    struct wl_project *p = parse_ok("services:\n  a:\n    command: echo $$X ${WL_X} ${WL_NOPE:-d} "
                                    "$WL_X/x ${WL_NOPE-} $1 cost$\n");
    static const char *const want[] = {"echo", "$X", "v", "d", "v/x", "$1", "cost$"};
    json_t *cmd = p->services[0].command;
    assert_int_equal(json_array_size(cmd), 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(str_at(cmd, i), want[i]);
    wl_project_free(p);
    parse_bad("services:\n  a:\n    image: ${WL_NOPE:?set it}\n",
              "f.yaml:3: invalid interpolation '${WL_NOPE:?set it}': ${VAR}, ${VAR:-default}, "
              "${VAR:?message} or $$ expected, or the variable is unset");
    parse_bad("services:\n  a:\n    image: ${WL_X\n",
              "f.yaml:3: invalid interpolation '${WL_X': ${VAR}, ${VAR:-default}, "
              "${VAR:?message} or $$ expected, or the variable is unset");
}

static void test_errors(void **state)
{
    (void)state;
    parse_bad("cpu: 1\nmemory: 12XB\n",
              "f.yaml:2: invalid memory '12XB' in service 'f': a size such as 512M or 1G expected");
    parse_bad("cpu: -1\n", "f.yaml:1: invalid cpu '-1' in service 'f': a positive number of CPUs "
                           "expected");
    parse_bad("cpu: 1\ncommand: [a, b\n",
              "f.yaml:3: invalid YAML: did not find expected ',' or ']' while parsing a flow "
              "sequence");
    parse_bad("services:\n  web:\n    foo: 1\n", "f.yaml:3: unknown key 'foo' in service 'web'");
    parse_bad("cpu: 1\nports: [80]\n", "f.yaml:2: unknown key 'ports' in service 'f'");
    parse_bad("services:\n  a:\n    depends_on: [b]\n  b:\n    depends_on: [a]\n",
              "f.yaml:5: dependency cycle: a -> b -> a");
    parse_bad("services:\n  a:\n    depends_on: [a]\n", "f.yaml:3: dependency cycle: a -> a");
    parse_bad("services:\n  a:\n    depends_on: [zz]\n",
              "f.yaml:3: service 'a' depends on unknown service 'zz'");
    parse_bad("services:\n  a:\n    depends_on:\n      b: {condition: service_ready}\n  b: {}\n",
              "f.yaml:4: invalid depends_on condition 'service_ready' in service 'a': "
              "service_started, service_healthy or service_completed_successfully expected");
    parse_bad("services:\n  a:\n    volumes: ['v:/x']\n",
              "f.yaml:3: service 'a' refers to undefined volume 'v'");
    parse_bad("services:\n  a:\n    ports: ['80:http']\n",
              "f.yaml:3: invalid port '80:http' in service 'a'");
    parse_bad("- cpu: 1\n", "f.yaml:1: a workload in a list needs a 'name'");
    parse_bad("- name: a\n- name: a\n", "f.yaml:2: service 'a' is defined twice");
    parse_bad("", "f.yaml:1: the file is empty");
    parse_bad("a: 1\n---\nb: 2\n", "f.yaml:3: one YAML document expected");
    parse_bad("cpuset: 0-1;2\n", "f.yaml:1: invalid cpuset '0-1;2' in service 'f': CPUs such as "
                                 "0-1,3 or auto[:N] expected");
    parse_bad("restart: sometimes\n", "f.yaml:1: invalid restart policy 'sometimes' in service "
                                      "'f': no, always, unless-stopped or on-failure[:N] expected");
}

/* The Compose keys that are `berth run` flags, container_name, the long
 * volume syntax and a network's settings. */
static void test_compose_flags(void **state)
{
    (void)state;
    struct wl_project *p =
        parse_ok("services:\n"
                 "  web:\n"
                 "    container_name: front\n"
                 "    working_dir: /app\n"
                 "    privileged: false\n"
                 "    read_only: true\n"
                 "    cap_add: [NET_ADMIN]\n"
                 "    dns: 10.0.0.2\n"
                 "    labels: {tier: web, empty: }\n"
                 "    extra_hosts: ['db:10.0.0.3', 'v6=::1']\n"
                 "    stop_grace_period: 1m500ms\n"
                 "    ulimits: {nproc: 64, nofile: {soft: 10, hard: 20}}\n"
                 "    volumes:\n"
                 "      - {type: bind, source: conf, target: /c, read_only: true}\n"
                 "      - {type: volume, source: data, target: /d}\n"
                 "      - {type: volume, target: /anon}\n"
                 "      - {type: tmpfs, target: /t, tmpfs: {size: 1m}}\n"
                 "    networks:\n"
                 "      front: {aliases: [www, w2], ipv4_address: 10.5.0.9}\n"
                 "      back:\n"
                 "networks:\n"
                 "  front: {ipam: {driver: default, config: [{subnet: "
                 "10.5.0.0/24, gateway: 10.5.0.254}]}}\n"
                 "  back: {}\n"
                 "volumes: {data: {}}\n");
    struct wl_service *s = &p->services[0];
    assert_string_equal(s->container_name, "front");
    static const char *const want[] = {
        "--workdir",      "/app",       "--read-only",   "--cap-add",  "NET_ADMIN",
        "--dns",          "10.0.0.2",   "--label",       "tier=web",   "--label",
        "empty=",         "--add-host", "db:10.0.0.3",   "--add-host", "v6=::1",
        "--stop-timeout", "61",         "--ulimit",      "nproc=64",   "--ulimit",
        "nofile=10:20",   "--tmpfs",    "/t:rw,size=1m",
    };
    assert_int_equal(json_array_size(s->flags), ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        assert_string_equal(str_at(s->flags, i), want[i]);
    assert_int_equal(json_array_size(s->volumes), 3);
    assert_string_equal(str_at(s->volumes, 0), "./conf:/c:ro");
    assert_string_equal(str_at(s->volumes, 1), "data:/d");
    assert_string_equal(str_at(s->volumes, 2), "/anon");
    json_t *front = json_object_get(s->net_opts, "front");
    assert_string_equal(str_at(json_object_get(front, "aliases"), 1), "w2");
    assert_string_equal(json_string_value(json_object_get(front, "ipv4_address")), "10.5.0.9");
    assert_null(json_object_get(s->net_opts, "back"));
    json_t *ipam = json_array_get(p->networks[0].ipam, 0);
    assert_string_equal(json_string_value(json_object_get(ipam, "Subnet")), "10.5.0.0/24");
    assert_string_equal(json_string_value(json_object_get(ipam, "Gateway")), "10.5.0.254");
    assert_null(p->networks[1].ipam);
    wl_project_free(p);
    p = parse_ok("services:\n  a:\n    logging:\n      driver: json-file\n"
                 "      options: {max-size: 1m, max-file: 2}\n");
    assert_int_equal(json_array_size(p->services[0].flags), 4);
    assert_string_equal(str_at(p->services[0].flags, 1), "max-size=1m");
    assert_string_equal(str_at(p->services[0].flags, 3), "max-file=2");
    wl_project_free(p);
    parse_bad("services:\n  a:\n    logging: {driver: syslog}\n",
              "f.yaml:3: logging driver 'syslog' in service 'a' is not supported by berth "
              "(json-file only)");
    p = parse_ok("services:\n  a:\n    pid: host\n    ipc: container:db\n    uts: host\n"
                 "    cgroup: host\n    oom_score_adj: -5\n    group_add: [video, 44]\n"
                 "    device_cgroup_rules: ['c 189:* rmw']\n");
    static const char *const ns[] = {"--pid",        "host",        "--ipc",
                                     "container:db", "--uts",       "host",
                                     "--cgroupns",   "host",        "--oom-score-adj",
                                     "-5",           "--group-add", "video",
                                     "--group-add",  "44",          "--device-cgroup-rule",
                                     "c 189:* rmw"};
    assert_int_equal(json_array_size(p->services[0].flags), ARRAY_SIZE(ns));
    for (size_t i = 0; i < ARRAY_SIZE(ns); i++)
        assert_string_equal(str_at(p->services[0].flags, i), ns[i]);
    wl_project_free(p);
    /* service:NAME makes NAME a dependency, once; the services' order follows */
    p = parse_ok("services:\n  a:\n    ipc: service:b\n    network_mode: service:b\n"
                 "    pid: service:b\n  b:\n    image: busybox\n");
    assert_int_equal(p->services[0].n_deps, 1);
    assert_string_equal(p->services[0].deps[0].service, "b");
    assert_int_equal(p->services[0].deps[0].line, 3);
    assert_string_equal(p->services[0].network_mode, "service:b");
    assert_string_equal(str_at(p->services[0].flags, 1), "service:b");
    wl_project_free(p);
    parse_bad("services:\n  a:\n    ipc: service:a\n",
              "f.yaml:3: invalid ipc 'service:a' in service 'a': another service's name expected");
    parse_bad("services:\n  a:\n    pid: service:nosuch\n",
              "f.yaml:3: service 'a' depends on unknown service 'nosuch'");
    /* secrets and configs: files bound read-only */
    p = parse_ok("services:\n  a:\n"
                 "    secrets: [pw, {source: pw, target: other}, {source: pw, target: /etc/pw}]\n"
                 "    configs: [conf, {source: conf, target: /etc/app.conf}]\n"
                 "secrets:\n  pw: {file: ./pw.txt}\nconfigs:\n  conf:\n    file: /abs/app.conf\n");
    static const char *const files[][2] = {{"./pw.txt", "/run/secrets/pw"},
                                           {"./pw.txt", "/run/secrets/other"},
                                           {"./pw.txt", "/etc/pw"},
                                           {"/abs/app.conf", "/conf"},
                                           {"/abs/app.conf", "/etc/app.conf"}};
    json_t *fs = p->services[0].files;
    assert_int_equal(json_array_size(fs), ARRAY_SIZE(files));
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        json_t *f = json_array_get(fs, i);
        assert_string_equal(json_string_value(json_object_get(f, "source")), files[i][0]);
        assert_string_equal(json_string_value(json_object_get(f, "target")), files[i][1]);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(fs, 0), "what")),
                        "secret pw");
    wl_project_free(p);
    parse_bad("services:\n  a:\n    secrets: [nope]\n",
              "f.yaml:3: service 'a' refers to undefined secret 'nope'");
    parse_bad("services:\n  a:\n    image: busybox\nsecrets:\n  pw: {environment: PW}\n",
              "f.yaml:5: 'environment' of secret 'pw' is not supported by berth (file: is)");
    parse_bad("services:\n  a:\n    secrets: [{source: pw, uid: '1'}]\nsecrets:\n  pw: {file: x}\n",
              "f.yaml:3: 'uid' of secrets in service 'a' is not supported by berth");
    parse_bad(
        "services:\n  a:\n    configs: [{source: c, target: ../x}]\nconfigs:\n  c: {file: x}\n",
        "f.yaml:3: invalid target '../x' in service 'a'");
    parse_bad("services:\n  a:\n    scale: 2\n",
              "f.yaml:3: 'scale' in service 'a' is not supported by berth");
    parse_bad("services:\n  a:\n    container_name: -x\n",
              "f.yaml:3: invalid container_name '-x' in service 'a': letters, digits, '_', '.' "
              "and '-' expected, starting with a letter or digit");
    char text[300], msg[300], name[129];
    memset(name, 'n', 128);
    name[128] = '\0';
    snprintf(text, sizeof(text), "services:\n  a:\n    container_name: %s\n", name);
    snprintf(msg, sizeof(msg),
             "f.yaml:3: invalid container_name '%s' in service 'a': letters, digits, '_', '.' "
             "and '-' expected, starting with a letter or digit",
             name);
    parse_bad(text, msg);
    name[127] = '\0';
    snprintf(text, sizeof(text), "services:\n  a:\n    container_name: %s\n", name);
    p = parse_ok(text);
    assert_string_equal(p->services[0].container_name, name);
    wl_project_free(p);
    parse_bad("services:\n  a:\n    tty: maybe\n",
              "f.yaml:3: 'tty' in service 'a' must be true or false");
    parse_bad("services:\n  a:\n    stop_grace_period: soon\n",
              "f.yaml:3: invalid stop_grace_period 'soon' in service 'a': a duration such as 10s "
              "expected");
    parse_bad("services:\n  a:\n    ulimits: {nofile: {soft: 1}}\n",
              "f.yaml:3: ulimit 'nofile' in service 'a' needs both soft and hard");
    parse_bad("services:\n  a:\n    volumes: [{type: bind, target: /x}]\n",
              "f.yaml:3: a bind volume in service 'a' needs a 'source'");
    parse_bad("services:\n  a:\n    volumes: [{type: npipe, source: x, target: /x}]\n",
              "f.yaml:3: volume type 'npipe' in service 'a' is not supported by berth: bind, "
              "volume or tmpfs");
    parse_bad("services:\n  a:\n    volumes: [{type: bind, source: /x, target: /x, "
              "bind: {propagation: shared}}]\n",
              "f.yaml:3: volume option 'bind' in service 'a' is not supported by berth");
    parse_bad("services:\n  a:\n    volumes: [{type: volume, source: v, target: /x}]\n",
              "f.yaml:3: service 'a' refers to undefined volume 'v'");
    parse_bad("services:\n  a:\n    networks: {n: {priority: 1}}\nnetworks: {n: {}}\n",
              "f.yaml:3: network setting 'priority' for 'n' in service 'a' is not supported by "
              "berth");
    parse_bad("services:\n  a:\n    networks: {n: [x]}\nnetworks: {n: {}}\n",
              "f.yaml:3: the settings of network 'n' in service 'a' must be a mapping");
    setenv("WL_TEST_ARG", "from-env", 1);
    p = parse_ok("services:\n"
                 "  a: {build: ./src}\n"
                 "  b:\n"
                 "    image: mine\n"
                 "    build:\n"
                 "      context: ctx\n"
                 "      dockerfile: other.Dockerfile\n"
                 "      target: final\n"
                 "      args: [X=1, WL_TEST_ARG, WL_TEST_UNSET]\n");
    assert_string_equal(json_string_value(json_object_get(p->services[0].build, "context")),
                        "./src");
    assert_false(p->services[0].image_given);
    json_t *b = p->services[1].build;
    assert_true(p->services[1].image_given);
    assert_string_equal(json_string_value(json_object_get(b, "dockerfile")), "other.Dockerfile");
    assert_string_equal(json_string_value(json_object_get(b, "target")), "final");
    json_t *args = json_object_get(b, "args");
    assert_int_equal(json_object_size(args), 2);
    assert_string_equal(json_string_value(json_object_get(args, "X")), "1");
    assert_string_equal(json_string_value(json_object_get(args, "WL_TEST_ARG")), "from-env");
    wl_project_free(p);
    parse_bad("services:\n  a:\n    build: {context: ., ssh: [default]}\n",
              "f.yaml:3: build option 'ssh' in service 'a' is not supported by berth");
    parse_bad("services: {}\nnetworks: {n: {ipam: {config: [{ip_range: 10.0.0.0/25}]}}}\n",
              "f.yaml:2: ipam config 'ip_range' of network 'n' is not supported by berth");
    parse_bad("cpu: 1\nworking_dir: /x\n", "f.yaml:2: unknown key 'working_dir' in service 'f'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_seed), cmocka_unit_test(test_reference_list),
        cmocka_unit_test(test_compose),        cmocka_unit_test(test_shell_split),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_interpolation),
        cmocka_unit_test(test_compose_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
