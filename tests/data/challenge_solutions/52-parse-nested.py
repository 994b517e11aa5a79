def parse(text):
    pos = 0

    def skip():
        nonlocal pos
        while pos < len(text) and text[pos].isspace():
            pos += 1

    def value():
        nonlocal pos
        skip()
        if pos < len(text) and text[pos] == "[":
            pos += 1
            items = []
            skip()
            if pos < len(text) and text[pos] == "]":
                pos += 1
                return items
            while True:
                items.append(value())
                skip()
                if pos < len(text) and text[pos] == ",":
                    pos += 1
                elif pos < len(text) and text[pos] == "]":
                    pos += 1
                    return items
                else:
                    raise ValueError("expected , or ]")
        start = pos
        if pos < len(text) and text[pos] == "-":
            pos += 1
        while pos < len(text) and text[pos].isdigit():
            pos += 1
        if pos == start or text[start:pos] == "-":
            raise ValueError("expected a value")
        return int(text[start:pos])

    result = value()
    skip()
    if pos != len(text) or not isinstance(result, list):
        raise ValueError("trailing text")
    return result
