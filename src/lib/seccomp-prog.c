#include "seccomp-prog.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void berth_seccomp_prog_free(struct berth_seccomp_prog *p)
{
    if (p == NULL)
        return;
    free(p->insns);
    free(p);
}

bool berth_seccomp_prog_sane(size_t n, unsigned flags)
{
    return n > 0 && n <= BPF_MAXINSNS && (flags & ~BERTH_SECCOMP_PROG_FLAGS) == 0;
}

int berth_seccomp_install(const struct berth_seccomp_prog *p, struct berth_error **err)
{
    struct sock_fprog fp = {.len = (unsigned short)p->n, .filter = p->insns};

    if (!berth_seccomp_prog_sane(p->n, p->flags))
        return berth_error_set(err, EINVAL, "cannot load the seccomp filter: it is malformed");
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &fp);
    /* with TSYNC, a positive result names a thread that could not follow;
     * libseccomp reports it as ESRCH */
    if (r > 0)
        errno = ESRCH;
    if (r != 0)
        return berth_error_set(err, errno, "cannot load the seccomp filter");
    return 0;
}

json_t *berth_seccomp_prog_to_json(const struct berth_seccomp_prog *p)
{
    static const char digits[] = "0123456789abcdef";
    size_t len = p->n * sizeof(*p->insns);
    const unsigned char *b = (const unsigned char *)p->insns;
    _cleanup_free_ char *hex = xmalloc(2 * len + 1);

    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[b[i] >> 4];
        hex[2 * i + 1] = digits[b[i] & 0xf];
    }
    hex[2 * len] = '\0';
    json_t *o = json_pack("{s:I, s:s}", "flags", (json_int_t)p->flags, "bpf", hex);
    if (o == NULL)
        abort();
    return o;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int berth_seccomp_prog_from_json(json_t *o, struct berth_seccomp_prog **ret,
                                 struct berth_error **err)
{
    json_int_t flags = 0;
    const char *hex = NULL;

    if (json_unpack(o, "{s:I, s:s}", "flags", &flags, "bpf", &hex) < 0)
        return berth_error_set(err, EPROTO, "bad seccomp filter for the container init");
    size_t len = strlen(hex) / 2, n = len / sizeof(struct sock_filter);
    if (flags < 0 || strlen(hex) != 2 * n * sizeof(struct sock_filter) ||
        !berth_seccomp_prog_sane(n, (unsigned)flags))
        return berth_error_set(err, EPROTO, "bad seccomp filter for the container init");
    _cleanup_free_ unsigned char *b = xmalloc(len);
    for (size_t i = 0; i < len; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return berth_error_set(err, EPROTO, "bad seccomp filter for the container init");
        b[i] = (unsigned char)(hi << 4 | lo);
    }
    struct berth_seccomp_prog *p = xzalloc(sizeof(*p));
    p->insns = (struct sock_filter *)TAKE_PTR(b);
    p->n = n;
    p->flags = (unsigned)flags;
    *ret = p;
    return 0;
}
