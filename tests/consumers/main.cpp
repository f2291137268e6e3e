// A C++ product: both packages' public headers in C++, and the same checks
// compiled as C++.
#include <cstdio>

#include "check_odd_a.c"
#include "check_odd_tq2_0.c"

int main() {
  int fail = check_odd_a() + check_odd_tq2_0();
  std::printf("%s\n", fail ? "FAILED" : "passed");
  return fail != 0;
}
