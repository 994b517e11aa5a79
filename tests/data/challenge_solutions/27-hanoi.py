def hanoi(n, a=0, b=2, via=1):
    if n == 0:
        return []
    return hanoi(n - 1, a, via, b) + [(a, b)] + hanoi(n - 1, via, b, a)
