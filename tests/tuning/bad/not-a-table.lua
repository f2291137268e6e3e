-- expect: 1: tuning file: must be a table, got number
return 42
