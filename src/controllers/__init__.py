"""HTTP controllers: one module per area, thin (validate, authenticate, one SQL call, shape)."""
