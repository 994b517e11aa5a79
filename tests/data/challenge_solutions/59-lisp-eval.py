def evaluate(source):
    tokens = source.replace("(", " ( ").replace(")", " ) ").split()
    pos = 0

    def read():
        nonlocal pos
        t = tokens[pos]
        pos += 1
        if t == "(":
            form = []
            while tokens[pos] != ")":
                form.append(read())
            pos += 1
            return form
        return int(t) if t.lstrip("-").isdigit() else t

    def run(x, env):
        if isinstance(x, int):
            return x
        if isinstance(x, str):
            return env[x]
        op, *args = x
        if op == "if":
            return run(args[1], env) if run(args[0], env) != 0 else run(args[2], env)
        if op == "let":
            return run(args[2], {**env, args[0]: run(args[1], env)})
        values = [run(a, env) for a in args]
        if op == "+":
            return sum(values)
        if op == "-":
            return values[0] - values[1]
        if op == "*":
            result = 1
            for v in values:
                result *= v
            return result
        raise ValueError(op)

    return run(read(), {})
