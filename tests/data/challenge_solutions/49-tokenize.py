def tokenize(expr):
    out, i = [], 0
    while i < len(expr):
        ch = expr[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit():
            j = i
            while j < len(expr) and expr[j].isdigit():
                j += 1
            out.append(int(expr[i:j]))
            i = j
        elif ch in "+-*/()":
            out.append(ch)
            i += 1
        else:
            raise ValueError(f"unexpected {ch!r}")
    return out
