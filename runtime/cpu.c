/* Portable part of CPU feature detection: caching and names. */
#include <pthread.h>
#include <string.h>

#include "bitgen_rt.h"
#include "cpu_internal.h"

static pthread_once_t features_once = PTHREAD_ONCE_INIT;
static uint32_t features_cached;

static void features_init(void) { features_cached = bitgen_cpu_detect_arch(); }

uint32_t bitgen_cpu_features(void) {
  pthread_once(&features_once, features_init);
  return features_cached;
}

/* `bit` is the bit index (the second column of BITGEN_FEATURE_LIST), not
 * the mask value: bitgen_feature_name(3) == "AVX2". */
const char *bitgen_feature_name(uint32_t bit) {
  switch (bit) {
#define BITGEN_FEATURE_CASE(name, b) \
  case (b): return #name;
    BITGEN_FEATURE_LIST(BITGEN_FEATURE_CASE)
#undef BITGEN_FEATURE_CASE
  default: return NULL;
  }
}

/* Appends s to buf (length *len, capacity size), truncating silently. */
static void append(char *buf, size_t size, size_t *len, const char *s) {
  size_t n = strlen(s);
  if (*len + 1 >= size) return;
  if (n > size - 1 - *len) n = size - 1 - *len;
  memcpy(buf + *len, s, n);
  *len += n;
  buf[*len] = '\0';
}

/* Names in BITGEN_FEATURE_LIST order, separated by one space. */
void bitgen_features_string(uint32_t mask, char *buf, size_t size) {
  size_t len = 0;
  if (buf == NULL || size == 0) return;
  buf[0] = '\0';
#define BITGEN_FEATURE_APPEND(name, b)          \
  if (mask & (1u << (b))) {                     \
    if (len > 0) append(buf, size, &len, " ");  \
    append(buf, size, &len, #name);             \
  }
  BITGEN_FEATURE_LIST(BITGEN_FEATURE_APPEND)
#undef BITGEN_FEATURE_APPEND
}

#ifndef BITGEN_ARCH_DETECT
/* Unknown architecture: no optional features; only scalar code runs. */
uint32_t bitgen_cpu_detect_arch(void) { return 0; }
#endif
