$ -- The uniform API (templates/api_uniform.h): shapes of every format behind
$ -- one call shape; the activation object holds the forms of acts (gen/pkg.lua
$ -- act_forms).  Included by api.c after the per-format functions.
/* ---- the uniform API: one call shape for every format ---- */

/* Each shape's format group (0 .. ${#plan.groups - 1}: ${(function() local t = {} for _, g in ipairs(plan.groups) do t[#t + 1] = g.format end return table.concat(t, ", ") end)()}). */
static const unsigned char group_of_shape[${#plan.shapes}] = {
$ for _, sh in ipairs(plan.shapes) do
  ${sh.group.index}, /* ${sh.enum}: ${sh.format} */
$ end
};

const char *${P}_shape_format(size_t shape) {
  static const char *const names[] = {
$ for _, g in ipairs(plan.groups) do
    "${g.format}",
$ end
  };
  return shape < ${#plan.shapes} ? names[group_of_shape[shape]] : NULL;
}

size_t ${P}_packed_size(size_t shape) {
  if (shape >= ${#plan.shapes}) return 0;
  switch (group_of_shape[shape]) {
$ for _, g in ipairs(plan.groups) do
  case ${g.index}: return ${g.F}_packed_size(shape);
$ end
  }
  return 0;
}

size_t ${P}_gguf_size(size_t shape) {
  if (shape >= ${#plan.shapes}) return 0;
  const bitgen_shape *sh = &${P}_package()->shapes[shape];
  (void)sh;
  switch (group_of_shape[shape]) {
$ for _, g in ipairs(plan.groups) do
$   if g.kind == "i2s" then
  case ${g.index}: return sh->M * sh->K / 4 + sizeof(float); /* I2_S: 2-bit codes, then the f32 scale */
$   elseif g.kind == "tl" then
  case ${g.index}: return sh->K % BITGEN_I2S_BLOCK ? 0 : sh->M * sh->K / 4 + sizeof(float); /* I2_S */
$   else
  case ${g.index}: return ${g.F}_gguf_size(shape);
$   end
$ end
  }
  return 0;
}

int ${P}_pack_f32(size_t shape, size_t M, size_t K, const float *w, void *packed, size_t packed_size,
                  float *wscale) {
  if (shape >= ${#plan.shapes}) return BITGEN_E_KERNEL;
  if (!wscale) return BITGEN_E_NULL;
  int rc = BITGEN_E_KERNEL;
  switch (group_of_shape[shape]) {
$ for _, g in ipairs(plan.groups) do
$   if g.kind == "i2s" or g.kind == "tl" then
  case ${g.index}: return ${g.F}_pack_f32(shape, M, K, w, packed, packed_size, wscale);
$   else
  case ${g.index}:
    rc = ${g.F}_pack_f32(shape, M, K, w, packed, packed_size);
    break;
$   end
$ end
  }
  if (rc == BITGEN_OK) *wscale = 1.0f; /* the scales are in the packed bytes */
  return rc;
}

int ${P}_pack_gguf(size_t shape, size_t M, size_t K, const uint8_t *src, size_t src_size, void *packed,
                   size_t packed_size, float *wscale) {
  if (shape >= ${#plan.shapes}) return BITGEN_E_KERNEL;
  if (!wscale) return BITGEN_E_NULL;
  int rc = BITGEN_E_KERNEL;
  switch (group_of_shape[shape]) {
$ for _, g in ipairs(plan.groups) do
$   if g.kind == "i2s" or g.kind == "tl" then
  case ${g.index}: return ${g.F}_pack_gguf(shape, M, K, src, src_size, packed, packed_size, wscale);
$   else
  case ${g.index}:
    rc = ${g.F}_pack_gguf(shape, M, K, src, src_size, packed, packed_size);
    break;
$   end
$ end
  }
  if (rc == BITGEN_OK) *wscale = 1.0f;
  return rc;
}

int ${P}_row(size_t shape, const void *packed, size_t packed_size, float wscale, size_t row, float *out) {
  if (shape >= ${#plan.shapes}) return BITGEN_E_KERNEL;
  switch (group_of_shape[shape]) {
$ for _, g in ipairs(plan.groups) do
$   if g.kind == "i2s" or g.kind == "tl" then
  case ${g.index}: return ${g.F}_row(shape, packed, packed_size, wscale, row, out);
$   else
  case ${g.index}: return wscale != 1.0f ? BITGEN_E_VALUE : ${g.F}_row(shape, packed, packed_size, row, out);
$   end
$ end
  }
  return BITGEN_E_KERNEL;
}

/* ---- activations ----
 * One arena holds every form this package's formats read, each sized for
 * max_tokens tokens of its largest K; a quantize of length K fills the
 * forms of K's formats with row stride K. */
#define ACT_TAG 0x${spec_hash}ULL /* this package's objects (and live ones) */
#define ACT_MAX_TOKENS ((size_t)1 << 20)

struct ${P}_act {
  uint64_t tag;
  size_t max_tokens;
  size_t n, K; /* the last successful quantize; n = 0: none */
$ for _, f in ipairs(acts.list) do
$   if f.name == "q8" then
  int8_t *q8;        /* i2s, tl: n x K int8 (K <= ${f.maxk}) */
  bitgen_act *q8act; /* per token: scale and sum of q8 */
$   elseif f.name == "lut" then
  int16_t *lut; /* tl: n x bitgen_tl_lut_size(K) tables of q8 */
  size_t lut_stride;
$   elseif f.block then
  int8_t *${f.name}q;      /* blocks of ${f.block}: n x K int8 (K <= ${f.maxk}) */
  float *${f.name}d;       /* n x K/${f.block} scales */
  int16_t *${f.name}sums;  /* n x K/16 sums of q */
$   else
  float *f32; /* f16, bf16: n x K floats (K <= ${f.maxk}) */
$   end
$ end
  void *arena;
};

/* Bytes of n items of size each, rounded up to the alignment; sets *over
 * on overflow (32-bit size_t). */
static size_t act_bytes(size_t n, size_t size, int *over) {
  if (size && n > (SIZE_MAX - BITGEN_ALIGN) / size) {
    *over = 1;
    return 0;
  }
  return (n * size + BITGEN_ALIGN - 1) / BITGEN_ALIGN * BITGEN_ALIGN;
}

int ${P}_act_create(size_t max_tokens, ${P}_act **out) {
  if (!out) return BITGEN_E_NULL;
  *out = NULL;
  if (max_tokens == 0 || max_tokens > ACT_MAX_TOKENS) return BITGEN_E_SIZE;
  const size_t T = max_tokens;
  enum { NPART = ${#acts.list * 3} };
  size_t part[NPART] = {0}, total = 0;
  int over = 0;
$ local slot = 0
$ for _, f in ipairs(acts.list) do
$   if f.name == "q8" then
  part[${slot}] = act_bytes(T, ${f.maxk}, &over), part[${slot + 1}] = act_bytes(T, sizeof(bitgen_act), &over);
$   elseif f.name == "lut" then
  part[${slot}] = act_bytes(T, bitgen_tl_lut_size(${f.maxk}) * sizeof(int16_t), &over);
$   elseif f.block then
  part[${slot}] = act_bytes(T, ${f.maxk}, &over);
  part[${slot + 1}] = act_bytes(T, ${f.maxk // f.block} * sizeof(float), &over);
  part[${slot + 2}] = act_bytes(T, ${f.maxk // 16} * sizeof(int16_t), &over);
$   else
  part[${slot}] = act_bytes(T, ${f.maxk} * sizeof(float), &over);
$   end
$   slot = slot + 3
$ end
  for (size_t i = 0; i < NPART; i++) {
    if (over || part[i] > SIZE_MAX - total) return BITGEN_E_SIZE;
    total += part[i];
  }
  ${P}_act *a = bitgen_alloc(sizeof *a);
  unsigned char *arena = bitgen_alloc(total);
  if (!a || !arena) {
    bitgen_free(a);
    bitgen_free(arena);
    return BITGEN_E_NOMEM;
  }
  unsigned char *p = arena;
$ slot = 0
$ for _, f in ipairs(acts.list) do
$   if f.name == "q8" then
  a->q8 = (int8_t *)p, p += part[${slot}];
  a->q8act = (bitgen_act *)p, p += part[${slot + 1}];
$   elseif f.name == "lut" then
  a->lut = (int16_t *)p, p += part[${slot}];
$   elseif f.block then
  a->${f.name}q = (int8_t *)p, p += part[${slot}];
  a->${f.name}d = (float *)p, p += part[${slot + 1}];
  a->${f.name}sums = (int16_t *)p, p += part[${slot + 2}];
$   else
  a->f32 = (float *)p, p += part[${slot}];
$   end
$   slot = slot + 3
$ end
  a->arena = arena;
  a->max_tokens = T;
  a->n = a->K = 0;
  a->tag = ACT_TAG;
  *out = a;
  return BITGEN_OK;
}

void ${P}_act_free(${P}_act *a) {
  if (!a) return;
  bitgen_free(a->arena);
  a->tag = 0; /* a stale pointer is then BITGEN_E_MISMATCH, while the memory lasts */
  bitgen_free(a);
}

/* Forms filled for a quantize of length K (bits in acts.list order), 0 if no shape has it. */
static unsigned act_forms_of(size_t K) {
  switch (K) {
$ for _, kf in ipairs(acts.ks) do
$   local bits, names = {}, {}
$   for _, f in ipairs(kf.forms) do
$     for i, g in ipairs(acts.list) do if g == f then bits[#bits + 1] = tostring(1 << (i - 1)) end end
$     names[#names + 1] = f.name
$   end
  case ${kf.K}: return ${table.concat(bits, " | ")}; /* ${table.concat(names, ", ")} */
$ end
  default: return 0;
  }
}

typedef struct {
  const float *x;
  ${P}_act *a;
  size_t K, n, per;
  unsigned forms;
  _Atomic int status; /* the first error of any task */
} quant_job;

/* Tokens [i * per, min(n, (i + 1) * per)) into every form of K. */
static void quant_task(void *ctx, size_t i) {
  quant_job *j = ctx;
  ${P}_act *a = j->a;
  const size_t K = j->K, t0 = i * j->per, cnt = (t0 + j->per <= j->n ? j->per : j->n - t0);
  const float *x = j->x + t0 * K;
  int rc = BITGEN_OK;
  (void)a, (void)x;
$ for i, f in ipairs(acts.list) do
$   local bit = 1 << (i - 1)
$   if f.name == "q8" then
  if (rc == BITGEN_OK && (j->forms & ${bit}u)) rc = bitgen_quantize(x, cnt, K, a->q8 + t0 * K, a->q8act + t0);
$   elseif f.name == "lut" then
  /* after q8 (an earlier bit): the tables of its tokens */
  if (rc == BITGEN_OK && (j->forms & ${bit}u))
    rc = bitgen_tl_tables(a->q8 + t0 * K, cnt, K, a->lut + t0 * bitgen_tl_lut_size(K));
$   elseif f.block then
  if (rc == BITGEN_OK && (j->forms & ${bit}u))
    rc = bitgen_quantize_blocks(x, cnt, K, ${f.block}, a->${f.name}q + t0 * K, a->${f.name}d + t0 * (K / ${f.block}),
                                a->${f.name}sums + t0 * (K / 16));
$   else
  if (rc == BITGEN_OK && (j->forms & ${bit}u)) {
    rc = bitgen_check_fp_acts(x, cnt * K); /* Inf and NaN bits would differ by ISA */
    if (rc == BITGEN_OK) memcpy(a->f32 + t0 * K, x, cnt * K * sizeof(float));
  }
$   end
$ end
  if (rc != BITGEN_OK) {
    int ok = BITGEN_OK;
    atomic_compare_exchange_strong(&j->status, &ok, rc);
  }
}

int ${P}_quantize(const float *x, size_t n, size_t K, ${P}_act *a, bitgen_pool *pool) {
  if (!x || !a) return BITGEN_E_NULL;
  if (a->tag != ACT_TAG) return BITGEN_E_MISMATCH;
  a->n = 0; /* empty until this call succeeds */
  int rc = ${P}_init();
  if (rc) return rc;
  const unsigned forms = act_forms_of(K);
  if (forms == 0 || n == 0 || n > a->max_tokens) return BITGEN_E_SIZE;
  if (!pool) pool = bitgen_pool_default();
  size_t threads = bitgen_pool_threads(pool);
  if (threads > n) threads = n;
  quant_job j = {.x = x, .a = a, .K = K, .n = n, .per = (n + threads - 1) / threads, .forms = forms};
  atomic_init(&j.status, BITGEN_OK);
  const size_t tasks = (n + j.per - 1) / j.per;
  if (tasks <= 1) quant_task(&j, 0);
  else if ((rc = bitgen_pool_run(pool, tasks, quant_task, &j))) return rc;
  if ((rc = atomic_load(&j.status))) return rc;
  a->K = K;
  a->n = n;
  return BITGEN_OK;
}

/* ---- multiplies ---- */
$ for _, g in ipairs(plan.groups) do

/* ${g.format}: N tokens of a (checked: shape, sizes, alignment) into y. */
static int mul_fmt${g.S}(size_t shape, const uint8_t *packed, float wscale, const ${P}_act *a, size_t N, float *y,
                     size_t ldy, bitgen_pool *pool) {
  const bitgen_package *pkg = ${g.pkgfn}();
  const bitgen_shape *sh = &pkg->shapes[shape];
  const size_t kernel = N == 1 ? sh->gemv : gemm_kernel(shape, N);
  const bitgen_kernel *k = &pkg->kernels[kernel];
  const bitgen_variant *v = ${P}_selected(kernel);
$   if g.kind == "i2s" then
  int rc = bitgen_check_ternary_scales(wscale, a->q8act, N);
  if (rc) return rc;
  if (N == 1) return bitgen_drive_gemv(pool, k, v, ${g.prows}, packed, a->q8, a->q8act[0].sum, wscale / a->q8act[0].scale, y);
  return bitgen_drive_gemm_ld(pool, k, v, ${g.prows}, packed, a->q8, N, a->q8act, wscale, y, sh->M, ldy);
$   else
  bitgen_acts acts;
  memset(&acts, 0, sizeof acts);
$     if g.kind == "tl" then
  acts.lut = a->lut;
  acts.q = a->q8; /* the q of the tables: the decoding GEMMs read it */
  acts.act = a->q8act;
  const size_t row_bytes = bitgen_tl_words(sh->K) * 2;
$     elseif g.kind == "block" then
  if (wscale != 1.0f) return BITGEN_E_VALUE; /* the scales are in the packed bytes */
  acts.q = a->b${g.fmt.block}q;
  acts.d = a->b${g.fmt.block}d;
  acts.bsums = a->b${g.fmt.block}sums;
  const size_t row_bytes = sh->K / ${g.fmt.block} * (${g.fmt.qbytes} + 2);
$     else
  if (wscale != 1.0f) return BITGEN_E_VALUE;
  acts.x = a->f32;
  const size_t row_bytes = sh->K * 2;
$     end
  return bitgen_drive_run_ld(pool, k, v, ${g.prows}, row_bytes, packed, &acts, N, wscale, y, sh->M, ldy);
$   end
}
$ end

/* Checks shared by GEMV and GEMM, then the shape's format. */
static int mul_any(size_t shape, const void *packed, size_t packed_size, float wscale, const ${P}_act *a, size_t N,
                 float *y, size_t M, size_t ldy, bitgen_pool *pool) {
  int rc = ${P}_init();
  if (rc) return rc;
  if (shape >= ${#plan.shapes}) return BITGEN_E_KERNEL;
  if (!packed || !a || !y) return BITGEN_E_NULL;
  const bitgen_shape *sh = &${P}_package()->shapes[shape];
  if (a->tag != ACT_TAG || a->n == 0 || a->K != sh->K) return BITGEN_E_MISMATCH;
  if (N == 0 || N > a->n || M != sh->M || ldy < M || (N > 1 && (ldy > SIZE_MAX / N))) return BITGEN_E_SIZE;
  if (packed_size != ${P}_packed_size(shape)) return BITGEN_E_SIZE;
  if ((uintptr_t)packed % BITGEN_ALIGN) return BITGEN_E_ALIGN;
  switch (group_of_shape[shape]) {
$ for _, g in ipairs(plan.groups) do
  case ${g.index}: return mul_fmt${g.S}(shape, (const uint8_t *)packed, wscale, a, N, y, ldy, pool);
$ end
  }
  return BITGEN_E_KERNEL;
}

int ${P}_gemv(size_t shape, const void *packed, size_t packed_size, float wscale, const ${P}_act *a, float *y,
              size_t M, bitgen_pool *pool) {
  return mul_any(shape, packed, packed_size, wscale, a, 1, y, M, M, pool);
}

int ${P}_gemm(size_t shape, const void *packed, size_t packed_size, float wscale, const ${P}_act *a, size_t N,
              float *y, size_t ldy, bitgen_pool *pool) {
  const size_t M = shape < ${#plan.shapes} ? ${P}_package()->shapes[shape].M : 0;
  return mul_any(shape, packed, packed_size, wscale, a, N, y, M, ldy, pool);
}
