import heapq


def distances(graph, source):
    best = {source: 0}
    heap = [(0, source)]
    while heap:
        cost, node = heapq.heappop(heap)
        if cost > best.get(node, float("inf")):
            continue
        for nxt, step in graph.get(node, []):
            if cost + step < best.get(nxt, float("inf")):
                best[nxt] = cost + step
                heapq.heappush(heap, (cost + step, nxt))
    return best
