/** Every status an order can be in, in the order it moves through them (as the API lists them). */
export const ORDER_STATUSES = ['awaiting_payment', 'confirmed', 'paid', 'shipped', 'delivered', 'return_requested', 'completed', 'cancelled', 'expired', 'refunded'] as const;
