/* The spec sandbox's C side (gen/sandbox.c): a Lua state of its own with a
 * memory cap, a step budget and only the base, string, table and math
 * libraries, and host.sandbox, which runs a spec in one. */
#ifndef BITGEN_SANDBOX_H
#define BITGEN_SANDBOX_H
#include <lua.h>
#include <stddef.h>
#include <time.h>

struct bitgen_budget {
  size_t used, limit;           /* bytes allocated by the state, cap */
  int refused;                  /* an allocation was refused: the cap was reached */
  double steps, step_limit;     /* VM instructions + charged work + allocated bytes / 8 */
  double seconds;               /* CPU-time backstop */
  clock_t start;
  unsigned hooks;               /* hook calls, to read the clock now and then */
  const char *over;             /* "steps", "memory", "seconds" or NULL */
  int line;                     /* the spec's line when a limit was reached */
};

/* A new limited state (NULL if even that does not fit in b->limit); limit,
 * step_limit and seconds set by the caller.  A limit reached raises an
 * error in the state and sets over and line (of code named "=spec"). */
lua_State *bitgen_sandbox_state(struct bitgen_budget *b);

/* host.sandbox(module_text, spec_text, limits) -> true, data
 *                                              | false, {field, line, reason} | nil, over
 * Runs gen/sandbox.lua's run_in_state in a fresh limited state, copies the
 * plain result into L and closes the state.  `over` names the limit reached. */
int bitgen_sandbox_run(lua_State *L);

#endif
