/* A product with one package (odd-a). */
#include <stdio.h>

int check_odd_a(void);

int main(void) {
  int fail = check_odd_a();
  printf("%s\n", fail ? "FAILED" : "passed");
  return fail != 0;
}
