-- Setting up env
local var1 = "hello"
local var2 = "hi"