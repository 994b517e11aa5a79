"""XP: awards (batched into one call for many), levels, layers, activities, the profile, the ledger."""
