def run(program):
    stack, pc = [], 0
    while pc < len(program):
        op, *arg = program[pc].split()
        pc += 1
        if op == "PUSH":
            stack.append(int(arg[0]))
        elif op == "POP":
            stack.pop()
        elif op in ("ADD", "SUB", "MUL"):
            b, a = stack.pop(), stack.pop()
            stack.append(a + b if op == "ADD" else a - b if op == "SUB" else a * b)
        elif op == "DUP":
            stack.append(stack[-1])
        elif op == "SWAP":
            stack[-1], stack[-2] = stack[-2], stack[-1]
        elif op == "JZ":
            if stack.pop() == 0:
                pc = int(arg[0])
    return stack
