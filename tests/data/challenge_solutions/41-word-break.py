def can_break(text, words):
    vocab = set(words)
    ok = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        ok[end] = any(ok[start] and text[start:end] in vocab for start in range(end))
    return ok[-1]
