def paths(grid):
    if not grid or grid[0][0] == "#":
        return 0
    width = len(grid[0])
    row = [0] * width
    row[0] = 1
    for r in grid:
        for c in range(width):
            if r[c] == "#":
                row[c] = 0
            elif c > 0:
                row[c] += row[c - 1]
    return row[-1]
