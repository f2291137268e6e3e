-- expect: 6: formats["test-tune-mixed"].b: i2s needs K a multiple of 128; b has K = 300
return {
  cpu = "test CPU",
  formats = {
    ["test-tune-mixed"] =
      { b = "i2s" },
  },
}
