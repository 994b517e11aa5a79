import heapq


def build_order(deps):
    nodes = set(deps) | {d for ds in deps.values() for d in ds}
    needs = {n: set(deps.get(n, [])) for n in nodes}
    ready = [n for n in nodes if not needs[n]]
    heapq.heapify(ready)
    order = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for m in nodes:
            if n in needs[m]:
                needs[m].discard(n)
                if not needs[m]:
                    heapq.heappush(ready, m)
    if len(order) != len(nodes):
        raise ValueError("cycle")
    return order
