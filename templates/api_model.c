$ -- The generated loader (model specs only): the model as a table for the
$ -- runtime's bitgen_load_model (runtime/bitgen_load.h), and its results
$ -- mapped onto ${P}_model.  docs/MODEL_RUNTIME.md.
$ local T, U = model, P:upper()
$ local function flt(x) return string.format("%.17g", x) end
/* ---- the model loader (docs/MODEL_RUNTIME.md) ---- */
#include <stdio.h>
#include <string.h>

#include "bitgen_load.h"

/* Tensors in arena order: per layer (%d = layer), then once. */
static const bitgen_load_tensor model_tensors[] = {
$ for _, e in ipairs(T.tensors) do
  {"${e.name}", ${e.per_layer and 1 or 0}, ${e.format and ('"' .. e.format .. '"') or "NULL"}, ${e.M}, ${e.K}, ${e.prows}},
$ end
};

/* "${spec.arch}.<key>": required ones must be present; every one present must equal. */
static const bitgen_load_hparam model_hparams[] = {
$ for _, h in ipairs(T.hparams) do
  {"${h.key}", ${h.f and 1 or 0}, ${h.required and 1 or 0}, ${h.u or 0}, ${h.f and flt(h.f) or "0.0"}},
$ end
};

static const bitgen_load_spec model_spec = {"${spec.arch}", ${spec.layers}, model_tensors, ${#T.tensors},
                                            model_hparams, ${#T.hparams}};

#define MODEL_NPER ${T.nper}
#define MODEL_NINST (${spec.layers} * MODEL_NPER + ${T.nglob})

static ${P}_weight model_weight(const bitgen_loaded *l, size_t shape, const char *format) {
  ${P}_weight w;
  w.data = l->data;
  w.size = l->size;
  w.shape = shape;
  w.scale = l->scale;
  w.format = format;
  return w;
}

static int model_load(const char *path, const void *data, size_t size, const ${P}_load_options *options,
                      ${P}_model *model) {
  bitgen_load_opts o = {0};
  if (options) {
    o.pool = options->pool;
    o.progress = options->progress;
    o.progress_ctx = options->progress_ctx;
    o.error = options->error;
    o.error_size = options->error_size;
  }
  if (!model) {
    if (o.error && o.error_size) snprintf(o.error, o.error_size, "%s: no model to fill", path ? path : "memory");
    return BITGEN_E_NULL;
  }
  if (!o.pool) o.pool = ${P}_pool_default();
  bitgen_loaded in[MODEL_NINST];
  void *arena = NULL;
  size_t arena_size = 0;
  uint64_t file_bytes = 0;
  int rc = bitgen_load_model(&model_spec, path, data, size, NULL, &o, in, &arena, &arena_size, &file_bytes);
  if (rc) return rc;
  ${P}_model m;
  memset(&m, 0, sizeof m);
  for (size_t l = 0; l < ${spec.layers}; l++) {
    const bitgen_loaded *L = in + l * MODEL_NPER;
$ for _, e in ipairs(T.tensors) do
$   if e.per_layer then
$     if e.format then
    m.layer[l].${e.field} = model_weight(&L[${e.index}], ${e.shape.enum}, "${e.format}");
$     else
    m.layer[l].${e.field} = (const float *)L[${e.index}].data;
$     end
$   end
$ end
  }
  const bitgen_loaded *G = in + ${spec.layers} * MODEL_NPER;
$ for _, e in ipairs(T.tensors) do
$   if not e.per_layer then
$     if e.format then
  m.${e.field} = model_weight(&G[${e.index - T.nper}], ${e.shape.enum}, "${e.format}");
$     else
  m.${e.field} = (const float *)G[${e.index - T.nper}].data;
$     end
$   end
$ end
$ if spec.hparams.tied_embeddings then
  m.output = m.token_embd;
  m.tied = 1;
$ end
  m.arena = arena;
  m.arena_size = arena_size;
  m.file_bytes = file_bytes;
  *model = m;
  return BITGEN_OK;
}

int ${P}_load(const char *path, const ${P}_load_options *options, ${P}_model *model) {
  if (!path) {
    if (options && options->error && options->error_size) snprintf(options->error, options->error_size, "no file name");
    return BITGEN_E_NULL;
  }
  return model_load(path, NULL, 0, options, model);
}

int ${P}_load_memory(const void *data, size_t size, const ${P}_load_options *options, ${P}_model *model) {
  if (!data) {
    if (options && options->error && options->error_size) snprintf(options->error, options->error_size, "no buffer");
    return BITGEN_E_NULL;
  }
  return model_load(NULL, data, size, options, model);
}

void ${P}_model_free(${P}_model *model) {
  if (!model) return;
  bitgen_arena_free(model->arena, model->arena_size);
  memset(model, 0, sizeof *model);
}
