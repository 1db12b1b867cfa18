function some_func (n)
    return n+1
end

local bad_idea = some_func.really_bad()
-- Intentional comment