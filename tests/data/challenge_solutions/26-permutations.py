def permutations(text):
    if not text:
        return [""]
    out = set()
    for i, ch in enumerate(text):
        for rest in permutations(text[:i] + text[i + 1 :]):
            out.add(ch + rest)
    return sorted(out)
