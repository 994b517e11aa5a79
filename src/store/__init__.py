"""The coin store: wallet, catalog, purchases, inventory, and coin packs paid with Razorpay."""
