$ -- Packers of the per-tensor-scale ternary formats (i2s, tl): rt names the
$ -- runtime's functions (bitgen_<rt>_pack_*).
size_t ${P}_packed_size(size_t shape) {
  const bitgen_package *pkg = ${P}_package();
  if (shape >= pkg->nshapes) return 0;
  return bitgen_${rt}_packed_size(pkg->shapes[shape].M, pkg->shapes[shape].K, pkg->prows);
}

int ${P}_pack_ternary(size_t shape, size_t M, size_t K, const int8_t *w, void *packed, size_t packed_size) {
  int rc = shape_ok(shape, M, K);
  return rc ? rc : bitgen_${rt}_pack_ternary(M, K, ${spec.pack_rows}, w, packed, packed_size);
}

int ${P}_pack_f32(size_t shape, size_t M, size_t K, const float *w, void *packed, size_t packed_size,
                  float *scale) {
  int rc = shape_ok(shape, M, K);
  return rc ? rc : bitgen_${rt}_pack_f32(M, K, ${spec.pack_rows}, w, packed, packed_size, scale);
}

int ${P}_pack_gguf(size_t shape, size_t M, size_t K, const uint8_t *src, size_t src_size, void *packed,
                   size_t packed_size, float *scale) {
  int rc = shape_ok(shape, M, K);
  return rc ? rc : bitgen_${rt}_pack_gguf(M, K, ${spec.pack_rows}, src, src_size, packed, packed_size, scale);
}
