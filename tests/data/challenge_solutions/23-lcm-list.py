from math import gcd


def lcm_all(nums):
    result = 1
    for n in nums:
        result = result * n // gcd(result, n)
    return result
