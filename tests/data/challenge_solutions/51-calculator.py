def calculate(expr):
    tokens = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch.isdigit():
            j = i
            while j < len(expr) and expr[j].isdigit():
                j += 1
            tokens.append(int(expr[i:j]))
            i = j
        else:
            if not ch.isspace():
                tokens.append(ch)
            i += 1
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom():
        t = take()
        if t == "(":
            value = expression()
            take()
            return value
        if t == "-":
            return -atom()
        return t

    def term():
        value = atom()
        while peek() in ("*", "/"):
            op, right = take(), atom()
            value = value * right if op == "*" else int(value / right)
        return value

    def expression():
        value = term()
        while peek() in ("+", "-"):
            op, right = take(), term()
            value = value + right if op == "+" else value - right
        return value

    return expression()
