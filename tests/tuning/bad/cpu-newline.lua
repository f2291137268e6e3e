-- expect: 3: cpu: must be one line without control characters
return {
  cpu = "two\nlines",
}
