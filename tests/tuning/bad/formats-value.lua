-- expect: 6: formats["test-tune-mixed"].a: must be "i2s" or "tl"
return {
  cpu = "test CPU",
  formats = {
    ["test-tune-mixed"] =
      { a = "q4_0" },
  },
}
