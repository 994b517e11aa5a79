from itertools import combinations


def subsets(items):
    s = sorted(items)
    return [list(c) for r in range(len(s) + 1) for c in combinations(s, r)]
