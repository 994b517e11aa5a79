def search(sorted_nums, target):
    lo, hi = 0, len(sorted_nums)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_nums[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(sorted_nums) and sorted_nums[lo] == target else -1
