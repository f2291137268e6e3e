/* IEEE binary16 <-> binary32 by integer bit manipulation, so the result is
 * the same with or without F16C / a compiler _Float16, on every ISA. */
#include <string.h>

#include "bitgen_rt.h"

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* Every f16 value is exactly representable as an f32. */
float bitgen_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0x1f) /* inf, or NaN with its payload kept (mant != 0 stays NaN) */
    return bits_f32(sign | 0x7f800000u | mant << 13);
  if (exp != 0) /* normal: rebias 15 -> 127 */
    return bits_f32(sign | (exp + 112) << 23 | mant << 13);
  if (mant == 0) return bits_f32(sign);
  /* Subnormal mant * 2^-24: shift the leading 1 up to the implicit bit. */
  exp = 113; /* the f32 exponent field of 2^-14 */
  while ((mant & 0x400u) == 0) {
    mant <<= 1;
    exp--;
  }
  return bits_f32(sign | exp << 23 | (mant & 0x3ffu) << 13);
}

/* v >> s rounded to nearest, ties to even (1 <= s <= 31). */
static uint32_t shift_rne(uint32_t v, unsigned s) {
  uint32_t half = 1u << (s - 1);
  return (v + half - 1 + ((v >> s) & 1u)) >> s;
}

uint16_t bitgen_f32_to_f16(float f) {
  uint32_t u = f32_bits(f);
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) /* NaN: keep the top payload bits, force quiet so it stays NaN */
    return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  /* 65520 is half-way between 65504 (odd mantissa) and 2^16: ties go up to inf. */
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);
  if (a >= 0x38800000u) /* result normal: rebias, round away 13 bits; a carry bumps the exponent */
    return (uint16_t)(sign | shift_rne(a - (112u << 23), 13));
  if (a <= 0x33000000u) /* <= 2^-25: the tie at 2^-25 goes to even, i.e. zero */
    return sign;
  /* Subnormal result: the significand in units of 2^-24 (may round up to 2^-14, 0x400). */
  {
    uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
    return (uint16_t)(sign | shift_rne(m, 126 - e));
  }
}
