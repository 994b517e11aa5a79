"""SQL the payment endpoints and the reconciliation job send (functions of schema `store`)."""

ORDER_CREATE = "select store.order_create($1, $2)"
ORDER_ATTACH = "select store.order_attach($1, $2)"
PAYMENT_CREDIT = "select store.payment_credit($1, $2, $3, $4, $5)"
PAYMENT_REFUND = "select store.payment_refund($1, $2)"
WEBHOOK_SEEN = "select store.webhook_seen($1, $2)"
ORDERS_TO_RECONCILE = "select store.orders_to_reconcile($1)"
