def spiral(matrix):
    out = []
    m = [row[:] for row in matrix]
    while m:
        out.extend(m.pop(0))
        m = [list(r) for r in zip(*m)][::-1]
    return out
