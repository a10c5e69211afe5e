-- What the other readers ask, in a loop.
SELECT id, followers FROM public.$table WHERE id = %(id)s
