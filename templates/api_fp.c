$ local B = spec.fmt.block
static const bitgen_format *format${S}(void) { return bitgen_format_by_name("${spec.format}"); }

size_t ${F}_packed_size(size_t shape) {
  const bitgen_package *pkg = ${pkgfn}();
  if (shape >= pkg->nshapes) return 0;
  return bitgen_fp_packed_size(format${S}(), pkg->shapes[shape].M, pkg->shapes[shape].K, pkg->prows);
}

size_t ${F}_gguf_size(size_t shape) {
  const bitgen_package *pkg = ${pkgfn}();
  if (shape >= pkg->nshapes) return 0;
  return bitgen_fp_gguf_size(format${S}(), pkg->shapes[shape].M, pkg->shapes[shape].K);
}

int ${F}_pack_f32(size_t shape, size_t M, size_t K, const float *w, void *packed, size_t packed_size) {
  int rc = shape_ok${S}(shape, M, K);
  return rc ? rc : bitgen_fp_pack_f32(format${S}(), M, K, ${spec.pack_rows}, w, packed, packed_size);
}

int ${F}_pack_gguf(size_t shape, size_t M, size_t K, const uint8_t *src, size_t src_size, void *packed,
                   size_t packed_size) {
  int rc = shape_ok${S}(shape, M, K);
  return rc ? rc : bitgen_fp_pack_gguf(format${S}(), M, K, ${spec.pack_rows}, src, src_size, packed, packed_size);
}

int ${F}_export_gguf(size_t shape, size_t M, size_t K, const void *packed, size_t packed_size, uint8_t *dst,
                     size_t dst_size) {
  int rc = shape_ok${S}(shape, M, K);
  return rc ? rc : bitgen_fp_export_gguf(format${S}(), M, K, ${spec.pack_rows}, packed, packed_size, dst, dst_size);
}

int ${F}_row(size_t shape, const void *packed, size_t packed_size, size_t row, float *out) {
  const bitgen_package *pkg = ${pkgfn}();
  int rc = shape < pkg->nshapes ? shape_ok${S}(shape, pkg->shapes[shape].M, pkg->shapes[shape].K) : BITGEN_E_KERNEL;
  return rc ? rc : bitgen_fp_row(format${S}(), pkg->shapes[shape].M, pkg->shapes[shape].K, ${spec.pack_rows}, packed,
                                 packed_size, row, out);
}

/* Checks shared by both multiplies, then the kernel for N tokens. */
static int run${S}(size_t shape, const void *packed, size_t packed_size, const float *x, size_t K, size_t N, float *y,
                   size_t M, bitgen_pool *pool) {
  int rc = ${P}_init();
  if (rc) return rc;
  if ((rc = shape_ok${S}(shape, M, K))) return rc;
  if (!packed || !x || !y) return BITGEN_E_NULL;
  if (packed_size != ${F}_packed_size(shape) || N == 0 || N > SIZE_MAX / K) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN) return BITGEN_E_ALIGN;
  const bitgen_package *pkg = ${pkgfn}();
  const size_t kernel = N == 1 ? pkg->shapes[shape].gemv : gemm_kernel(shape, N);
  const bitgen_acts acts = {.x = x};
  return bitgen_drive_run(pool, &pkg->kernels[kernel], ${P}_selected(kernel), pkg->prows, K * 2,
                          (const uint8_t *)packed, &acts, N, 1.0f, y, M);
}

int ${F}_gemv(size_t shape, const void *packed, size_t packed_size, const float *x, size_t K, float *y, size_t M,
              bitgen_pool *pool) {
  return run${S}(shape, packed, packed_size, x, K, 1, y, M, pool);
}

int ${F}_gemm(size_t shape, const void *packed, size_t packed_size, const float *x, size_t K, size_t N, float *y,
              size_t M, bitgen_pool *pool) {
  return run${S}(shape, packed, packed_size, x, K, N, y, M, pool);
}
