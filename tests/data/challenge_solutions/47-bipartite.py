def two_teams(n, edges):
    adj = [[] for _ in range(n)]
    for u, v in edges:
        adj[u].append(v)
        adj[v].append(u)
    team = [None] * n
    for s in range(n):
        if team[s] is not None:
            continue
        team[s] = 0
        stack = [s]
        while stack:
            u = stack.pop()
            for v in adj[u]:
                if team[v] is None:
                    team[v] = 1 - team[u]
                    stack.append(v)
                elif team[v] == team[u]:
                    return False
    return True
