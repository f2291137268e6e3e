/* A product with two packages of different formats (odd-a: i2s, odd-tq2_0:
 * block) in one binary, both public headers in one translation unit. */
#include <stdio.h>

#include "bitgen_test_odd_a.h"
#include "bitgen_test_odd_tq2_0.h"

int check_odd_a(void);
int check_odd_tq2_0(void);

int main(void) {
  int fail = check_odd_a() + check_odd_tq2_0();
  /* each package has its own runtime: its own default pool */
  if (bitgen_test_odd_a_pool_default() == (bitgen_pool *)bitgen_test_odd_tq2_0_pool_default()) {
    printf("FAIL the two packages share one runtime\n");
    fail++;
  }
  printf("%s\n", fail ? "FAILED" : "passed");
  return fail != 0;
}
