function badfunc (n)
  -- LGTM
  return bad_idea(n)
end