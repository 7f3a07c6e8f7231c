#pragma once
/* SHA-256 (FIPS 180-4), streaming. Self-contained rather than libcrypto:
 * berth-runtime is linked fully static and started twice per container
 * (README, Design choices); OpenSSL's provider set-up would cost more than
 * the few microseconds hashing a seccomp profile takes. */
#include <stddef.h>
#include <stdint.h>

#define BERTH_SHA256_LEN 32

struct berth_sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    uint8_t buf[64];
    size_t n_buf;
};

void berth_sha256_init(struct berth_sha256 *c);
void berth_sha256_update(struct berth_sha256 *c, const void *data, size_t n);
/* Writes the digest; `c` must be initialised again before reuse. */
void berth_sha256_final(struct berth_sha256 *c, uint8_t out[BERTH_SHA256_LEN]);
/* One-shot digest of `n` bytes. */
void berth_sha256(const void *data, size_t n, uint8_t out[BERTH_SHA256_LEN]);
