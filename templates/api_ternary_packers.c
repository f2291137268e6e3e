$ -- Packers of the per-tensor-scale ternary formats (i2s, tl): rt names the
$ -- runtime's functions (bitgen_<rt>_pack_*).
size_t ${F}_packed_size(size_t shape) {
  const bitgen_package *pkg = ${pkgfn}();
  if (shape >= pkg->nshapes) return 0;
  return bitgen_${rt}_packed_size(pkg->shapes[shape].M, pkg->shapes[shape].K, pkg->prows);
}

int ${F}_pack_ternary(size_t shape, size_t M, size_t K, const int8_t *w, void *packed, size_t packed_size) {
  int rc = shape_ok${S}(shape, M, K);
  return rc ? rc : bitgen_${rt}_pack_ternary(M, K, ${spec.pack_rows}, w, packed, packed_size);
}

int ${F}_pack_f32(size_t shape, size_t M, size_t K, const float *w, void *packed, size_t packed_size,
                  float *scale) {
  int rc = shape_ok${S}(shape, M, K);
  return rc ? rc : bitgen_${rt}_pack_f32(M, K, ${spec.pack_rows}, w, packed, packed_size, scale);
}

int ${F}_pack_gguf(size_t shape, size_t M, size_t K, const uint8_t *src, size_t src_size, void *packed,
                   size_t packed_size, float *scale) {
  int rc = shape_ok${S}(shape, M, K);
  return rc ? rc : bitgen_${rt}_pack_gguf(M, K, ${spec.pack_rows}, src, src_size, packed, packed_size, scale);
}

int ${F}_row(size_t shape, const void *packed, size_t packed_size, float wscale, size_t row, float *out) {
  const bitgen_package *pkg = ${pkgfn}();
  int rc = shape < pkg->nshapes ? shape_ok${S}(shape, pkg->shapes[shape].M, pkg->shapes[shape].K) : BITGEN_E_KERNEL;
  return rc ? rc : bitgen_${rt}_row(pkg->shapes[shape].M, pkg->shapes[shape].K, ${spec.pack_rows}, packed,
                                   packed_size, wscale, row, out);
}
