${include("api_ternary_packers.c", { rt = "i2s" })}

/* Checks shared by every multiply: init, shape, buffers, scales (docs/DESIGN.md,
 * "Caller contracts"). */
static int check${S}(size_t shape, const void *packed, size_t packed_size, float wscale, const int8_t *q, size_t K,
                 size_t N, const bitgen_act *act, const float *y, size_t M) {
  int rc = ${P}_init();
  if (rc) return rc;
  if ((rc = shape_ok${S}(shape, M, K))) return rc;
  if (!packed || !q || !act || !y) return BITGEN_E_NULL;
  if (packed_size != ${F}_packed_size(shape) || N == 0) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN) return BITGEN_E_ALIGN;
  /* wscale finite and nonzero, act[j].scale finite and > 0, their ratio finite */
  if ((rc = bitgen_check_ternary_scales(wscale, act, N))) return rc;
  return BITGEN_OK;
}

int ${F}_gemv_tiles(size_t shape, const void *packed, size_t packed_size, float wscale, const int8_t *q,
                    size_t K, const bitgen_act *act, float *y, size_t M, size_t t0, size_t t1) {
  int rc = check${S}(shape, packed, packed_size, wscale, q, K, 1, act, y, M);
  if (rc) return rc;
  const bitgen_variant *v = ${P}_selected(${pkgfn}()->shapes[shape].gemv);
  if (t0 > t1 || t1 > v->tiles) return BITGEN_E_SIZE;
  if (t0 < t1) v->gemv((const uint8_t *)packed, q, act->sum, wscale / act->scale, y, t0, t1);
  return BITGEN_OK;
}

int ${F}_gemv(size_t shape, const void *packed, size_t packed_size, float wscale, const int8_t *q, size_t K,
              const bitgen_act *act, float *y, size_t M, bitgen_pool *pool) {
  int rc = check${S}(shape, packed, packed_size, wscale, q, K, 1, act, y, M);
  if (rc) return rc;
  const size_t kernel = ${pkgfn}()->shapes[shape].gemv;
  return bitgen_drive_gemv(pool, &${pkgfn}()->kernels[kernel], ${P}_selected(kernel), ${spec.pack_rows},
                           (const uint8_t *)packed, q, act->sum, wscale / act->scale, y);
}

int ${F}_gemm(size_t shape, const void *packed, size_t packed_size, float wscale, const int8_t *q, size_t K,
              size_t N, const bitgen_act *act, float *y, size_t M, bitgen_pool *pool) {
  int rc = check${S}(shape, packed, packed_size, wscale, q, K, N, act, y, M);
  if (rc) return rc;
  const bitgen_package *pkg = ${pkgfn}();
  const size_t kernel = gemm_kernel(shape, N);
  return bitgen_drive_gemm(pool, &pkg->kernels[kernel], ${P}_selected(kernel), ${spec.pack_rows},
                           (const uint8_t *)packed, q, N, act, wscale, y, M);
}
