/* The spec sandbox's C side.  A spec runs in a Lua state of its own: an
 * allocator that refuses to go past a memory cap, a count hook that stops
 * the spec's code after a budget of steps (and a CPU-time backstop), and
 * only the base, string, table and math libraries (no io, os, debug,
 * package, coroutine; dofile and loadfile removed).  gen/sandbox.lua runs
 * inside it and hands back plain data, which is copied into the generator's
 * state before the spec's state is closed: nothing of the spec survives. */
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_INTERVAL 1000
#define CLOCK_EVERY 16 /* hook calls between CPU-time reads */

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  struct bitgen_budget *b = ud;
  size_t old = ptr ? osize : 0; /* without ptr, osize is an object type */
  if (nsize == 0) {
    free(ptr);
    b->used -= old;
    return NULL;
  }
  if (nsize > old && nsize - old > b->limit - b->used) {
    b->refused = 1;
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (!p) return NULL;
  b->used = b->used - old + nsize;
  if (nsize > old) b->steps += (double)(nsize - old) / 8; /* building data is work too */
  return p;
}

static struct bitgen_budget *budget_of(lua_State *S) {
  void *ud;
  lua_getallocf(S, &ud);
  return ud;
}

static int is_spec(lua_Debug *ar) { return strcmp(ar->source, "=spec") == 0; }

/* The line of the innermost spec function on the stack, 0 if none. */
static int spec_line(lua_State *S) {
  lua_Debug ar;
  for (int level = 0; lua_getstack(S, level, &ar); level++)
    if (lua_getinfo(S, "Sl", &ar) && is_spec(&ar)) return ar.currentline;
  return 0;
}

static int trip(lua_State *S, struct bitgen_budget *b, const char *what) {
  if (!b->over) {
    b->over = what;
    b->line = spec_line(S);
  }
  return luaL_error(S, "spec limit reached (%s)", b->over);
}

/* Counts every instruction, gen/sandbox.lua's too: its work is bounded, and
 * an error raised in it ends the run just as well (the C side reports it). */
static void hook(lua_State *S, lua_Debug *ar) {
  (void)ar;
  struct bitgen_budget *b = budget_of(S);
  b->steps += HOOK_INTERVAL;
  if (!(b->steps <= b->step_limit)) trip(S, b, "steps");
  if (++b->hooks % CLOCK_EVERY == 0 && (double)(clock() - b->start) / CLOCKS_PER_SEC > b->seconds)
    trip(S, b, "seconds");
}

/* charge(n): library work done in one call, added to the step count. */
static int l_charge(lua_State *S) {
  struct bitgen_budget *b = budget_of(S);
  lua_Number n = luaL_checknumber(S, 1);
  if (!(n >= 0)) n = HUGE_VAL; /* negative or NaN: a wrong estimate, stop rather than run on */
  b->steps += n;
  if (!(b->steps <= b->step_limit)) trip(S, b, "steps");
  return 0;
}

/* where(): the line of the innermost spec function running. */
static int l_where(lua_State *S) {
  lua_pushinteger(S, spec_line(S));
  return 1;
}

static int open_libs(lua_State *S) {
  static const lua_CFunction open[] = {luaopen_base, luaopen_string, luaopen_table, luaopen_math};
  static const char *const names[] = {LUA_GNAME, LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME};
  for (int i = 0; i < 4; i++) {
    luaL_requiref(S, names[i], open[i], 1);
    lua_pop(S, 1);
  }
  /* the base functions that reach files or the terminal */
  static const char *const drop[] = {"dofile", "loadfile", "print", "warn", "collectgarbage", NULL};
  for (int i = 0; drop[i]; i++) {
    lua_pushnil(S);
    lua_setglobal(S, drop[i]);
  }
  return 0;
}

lua_State *bitgen_sandbox_state(struct bitgen_budget *b) {
  b->used = 0;
  b->refused = 0;
  b->steps = 0;
  b->over = NULL;
  b->line = 0;
  b->hooks = 0;
  b->start = clock();
  lua_State *S = lua_newstate(limited_alloc, b);
  if (!S) return NULL;
  lua_pushcfunction(S, open_libs);
  if (lua_pcall(S, 0, 0, 0) != LUA_OK) {
    lua_close(S);
    return NULL;
  }
  lua_sethook(S, hook, LUA_MASKCOUNT, HOOK_INTERVAL);
  return S;
}

/* ---- host.sandbox ---------------------------------------------------- */

/* The spec's state and its budget live in a userdata of the caller's state,
 * so the state is closed even if copying out raises (out of memory). */
struct box {
  lua_State *S;
  struct bitgen_budget b;
};

static void close_box(struct box *x) {
  if (x->S) lua_close(x->S);
  x->S = NULL;
}

static int box_gc(lua_State *L) {
  close_box(lua_touserdata(L, 1));
  return 0;
}

struct job {
  const char *mod, *text;
  size_t mlen, tlen;
  lua_Number steps, memory, seconds, depth, values;
};

/* In the spec's state: load gen/sandbox.lua, call run_in_state. */
static int enter(lua_State *S) {
  struct job *j = lua_touserdata(S, 1);
  if (luaL_loadbufferx(S, j->mod, j->mlen, "=sandbox", "t") != LUA_OK) return lua_error(S);
  lua_call(S, 0, 1);
  lua_getfield(S, -1, "run_in_state");
  lua_pushlstring(S, j->text, j->tlen);
  lua_pushcfunction(S, l_charge);
  lua_createtable(S, 0, 5);
  const char *keys[] = {"steps", "memory", "seconds", "depth", "values"};
  lua_Number vals[] = {j->steps, j->memory, j->seconds, j->depth, j->values};
  for (int i = 0; i < 5; i++) {
    lua_pushnumber(S, vals[i]);
    lua_setfield(S, -2, keys[i]);
  }
  lua_pushcfunction(S, l_where);
  lua_call(S, 4, 2);
  return 2;
}

/* Pushes onto L a copy of the plain value on top of S; 0, or -1 if the value
 * is not plain data (gen/sandbox.lua's copy makes that impossible). */
static int transfer(lua_State *S, lua_State *L, int depth) {
  if (depth <= 0 || !lua_checkstack(L, 4) || !lua_checkstack(S, 4)) return -1;
  switch (lua_type(S, -1)) {
  case LUA_TBOOLEAN:
    lua_pushboolean(L, lua_toboolean(S, -1));
    return 0;
  case LUA_TNUMBER:
    if (lua_isinteger(S, -1))
      lua_pushinteger(L, lua_tointeger(S, -1));
    else
      lua_pushnumber(L, lua_tonumber(S, -1));
    return 0;
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(S, -1, &n);
    lua_pushlstring(L, s, n);
    return 0;
  }
  case LUA_TTABLE:
    if (lua_getmetatable(S, -1)) {
      lua_pop(S, 1);
      return -1;
    }
    lua_newtable(L);
    lua_pushnil(S);
    while (lua_next(S, -2)) { /* S: ... table key value */
      int kt = lua_type(S, -2);
      lua_pushvalue(S, -2);
      if ((kt != LUA_TSTRING && kt != LUA_TNUMBER) || transfer(S, L, depth - 1)) {
        lua_pop(S, 3);
        return -1;
      }
      lua_pop(S, 1);
      if (transfer(S, L, depth - 1)) {
        lua_pop(S, 2);
        return -1;
      }
      lua_pop(S, 1);
      lua_rawset(L, -3);
    }
    return 0;
  default:
    return -1;
  }
}

static lua_Number limit_field(lua_State *L, const char *name) {
  lua_getfield(L, 3, name);
  int ok;
  lua_Number v = lua_tonumberx(L, -1, &ok);
  lua_pop(L, 1);
  if (!ok || !(v > 0)) return luaL_error(L, "host.sandbox: limits.%s must be a positive number", name);
  return v;
}

int bitgen_sandbox_run(lua_State *L) {
  struct job j;
  j.mod = luaL_checklstring(L, 1, &j.mlen);
  j.text = luaL_checklstring(L, 2, &j.tlen);
  luaL_checktype(L, 3, LUA_TTABLE);
  j.steps = limit_field(L, "steps");
  j.memory = limit_field(L, "memory");
  j.seconds = limit_field(L, "seconds");
  j.depth = limit_field(L, "depth");
  j.values = limit_field(L, "values");
  if (j.depth > 1000) return luaL_error(L, "host.sandbox: limits.depth is at most 1000");

  struct box *x = lua_newuserdatauv(L, sizeof *x, 0); /* index 4 */
  x->S = NULL;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  memset(&x->b, 0, sizeof x->b);
  x->b.limit = (size_t)j.memory;
  x->b.step_limit = j.steps;
  x->b.seconds = j.seconds;
  x->S = bitgen_sandbox_state(&x->b);
  if (!x->S) return luaL_error(L, "cannot create a Lua state for the spec within %d bytes", (int)j.memory);
  lua_State *S = x->S;

  lua_pushcfunction(S, enter);
  lua_pushlightuserdata(S, &j);
  int status = lua_pcall(S, 1, 2, 0);
  int ok = status == LUA_OK && lua_toboolean(S, -2);
  const char *over = x->b.over;
  if (!ok && !over && x->b.refused) over = "memory";
  if (over) {
    int line = x->b.line;
    close_box(x);
    lua_pushboolean(L, 0);
    lua_createtable(L, 0, 3);
    lua_pushliteral(L, "evaluation");
    lua_setfield(L, -2, "field");
    lua_pushinteger(L, line);
    lua_setfield(L, -2, "line");
    lua_pushstring(L, over);
    lua_setfield(L, -2, "reason");
    lua_pushstring(L, over);
    return 3;
  }
  if (status != LUA_OK) { /* gen/sandbox.lua itself failed: a bug, not the spec's fault */
    const char *msg = lua_tostring(S, -1);
    lua_pushfstring(L, "spec sandbox: %s", msg ? msg : "error without a message");
    close_box(x);
    return lua_error(L);
  }
  lua_pushboolean(L, ok);
  if (transfer(S, L, (int)j.depth + 2)) {
    close_box(x);
    return luaL_error(L, "spec sandbox: the spec's result is not plain data after the copy");
  }
  close_box(x);
  return 2;
}
