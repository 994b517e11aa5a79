def total(nums):
    return sum(nums)
