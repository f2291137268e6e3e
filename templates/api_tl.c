${include("api_ternary_packers.c", { rt = "tl" })}

size_t ${F}_lut_size(size_t K) { return bitgen_tl_lut_size(K); }

int ${F}_tables(const int8_t *q, size_t N, size_t K, int16_t *lut) { return bitgen_tl_tables(q, N, K, lut); }

/* Checks shared by both multiplies, then the kernel for N tokens. */
static int run${S}(size_t shape, const void *packed, size_t packed_size, float wscale, const int16_t *lut, size_t K,
               size_t N, const bitgen_act *act, float *y, size_t M, bitgen_pool *pool) {
  int rc = ${P}_init();
  if (rc) return rc;
  if ((rc = shape_ok${S}(shape, M, K))) return rc;
  if (!packed || !lut || !act || !y) return BITGEN_E_NULL;
  if (packed_size != ${F}_packed_size(shape) || N == 0) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN) return BITGEN_E_ALIGN;
  /* wscale finite and nonzero, act[j].scale finite and > 0, their ratio finite */
  if ((rc = bitgen_check_ternary_scales(wscale, act, N))) return rc;
  const bitgen_package *pkg = ${pkgfn}();
  const size_t kernel = N == 1 ? pkg->shapes[shape].gemv : gemm_kernel(shape, N);
  const bitgen_acts acts = {.lut = lut, .act = act};
  return bitgen_drive_run(pool, &pkg->kernels[kernel], ${P}_selected(kernel), pkg->prows, bitgen_tl_words(K) * 2,
                          (const uint8_t *)packed, &acts, N, wscale, y, M);
}

int ${F}_gemv(size_t shape, const void *packed, size_t packed_size, float wscale, const int16_t *lut, size_t K,
              const bitgen_act *act, float *y, size_t M, bitgen_pool *pool) {
  return run${S}(shape, packed, packed_size, wscale, lut, K, 1, act, y, M, pool);
}

int ${F}_gemm(size_t shape, const void *packed, size_t packed_size, float wscale, const int16_t *lut, size_t K,
              size_t N, const bitgen_act *act, float *y, size_t M, bitgen_pool *pool) {
  return run${S}(shape, packed, packed_size, wscale, lut, K, N, act, y, M, pool);
}
