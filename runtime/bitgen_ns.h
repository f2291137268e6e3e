/* Symbol namespace.  In a generated package bitgen writes this file anew:
 * one #define per external runtime symbol, bitgen_X -> <package>_rt_X, so
 * that several packages (of any bitgen version) link into one program.
 * This copy, used when the runtime is compiled on its own (bitgen's unit
 * tests), renames nothing. */
