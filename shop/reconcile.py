"""The shop's part of ``reconcile_ledger`` (registered into
``wallet.extensions.reconcile_checks`` by ``ShopConfig.ready``): orders,
stock and commission, each rule one set-based query listing its offenders
(``wallet.reconcile.Check``), like the wallet's own.

1. amounts: an order's subtotal and total are the sum of its lines, each
   line its unit price times its quantity, its commission the sum of its
   lines', and the seller is owed ``total - fee - commission``;
2. entries: an order has a payment entry exactly when it was paid (paid,
   shipped, delivered, refunded, or cancelled after payment), a refund
   entry exactly when refunded or cancelled after payment, a release entry
   only once delivered; every order entry in the ledger belongs to an order;
3. bookings: across its entries, an order moves exactly what
   ``shop.services.money`` says for its status: paid / shipped ``-total``
   from the provider, the seller's share, the fee and the commission
   pending; delivered the same with the commission earned; refunded or
   cancelled nothing at all (commission the platform wrote off counts as
   earned);
4. commission: each affiliate's pending commission in a payment entry is
   the sum of that affiliate's lines;
5. stock: no product, variant or flash sale below zero; pending orders hold
   their units, cancelled ones gave them back; a flash sale's units sold
   (``quantity - remaining``) are those of its orders still holding them.
"""

from __future__ import annotations

from wallet.models import Account, Entry
from wallet.reconcile import Check

PAID = ("paid", "shipped", "delivered")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(["%s"] * len(values))


def order_checks() -> list[Check]:
    kinds = Account.Kind
    order_kinds = (
        str(Entry.Kind.ORDER_PAYMENT),
        str(Entry.Kind.COMMISSION_RELEASE),
        str(Entry.Kind.ORDER_REFUND),
    )
    booked = (
        str(kinds.PROVIDER_CLEARING),
        str(kinds.SELLER_PAYABLE),
        str(kinds.PLATFORM_REVENUE),
        str(kinds.COMMISSION_PENDING),
        str(kinds.COMMISSION_EARNED),
        str(kinds.COMMISSION_WRITEOFF),
    )
    return [
        Check(
            "orders whose amounts do not add up",
            """SELECT * FROM (
                 SELECT o.id, o.total, o.subtotal,
                        COALESCE(SUM(ol.line_total), 0) AS lines_total,
                        o.commission, COALESCE(SUM(ol.commission), 0) AS lines_commission,
                        o.seller_amount, o.platform_fee,
                        SUM(CASE WHEN ol.line_total <> ol.unit_price * ol.quantity
                            THEN 1 ELSE 0 END) AS bad_lines
                 FROM shop_order o LEFT JOIN shop_orderline ol ON ol.order_id = o.id
                 GROUP BY o.id, o.total, o.subtotal, o.commission, o.seller_amount,
                          o.platform_fee
               ) t
               WHERE t.total <> t.lines_total OR t.subtotal <> t.total
                  OR t.commission <> t.lines_commission
                  OR t.seller_amount <> t.total - t.platform_fee - t.commission
                  OR t.bad_lines > 0
               ORDER BY t.id""",
            (),
            lambda r: (
                f"order {r[0]} totals {r[1]} (subtotal {r[2]}) but its lines make {r[3]}; "
                f"commission {r[4]} vs lines' {r[5]}; seller owed {r[6]} with a fee of {r[7]}"
                + (f"; {r[8]} lines are not price × quantity" if r[8] else "")
            ),
        ),
        Check(
            "orders whose entries do not fit their status",
            f"""SELECT o.id, o.status, o.payment_entry_id, o.release_entry_id, o.refund_entry_id
               FROM shop_order o
               WHERE (o.payment_entry_id IS NULL) <> (
                        o.status NOT IN ({_in(PAID)}, %s)
                        AND NOT (o.status = %s AND o.paid_at IS NOT NULL))
                  OR (o.refund_entry_id IS NULL) <> (
                        o.status <> %s AND NOT (o.status = %s AND o.paid_at IS NOT NULL))
                  OR (o.release_entry_id IS NOT NULL AND o.delivered_at IS NULL)
               ORDER BY o.id""",  # noqa: S608 (placeholders only)
            (*PAID, "refunded", "cancelled", "refunded", "cancelled"),
            lambda r: (
                f"order {r[0]} is {r[1]} with payment entry {r[2]}, release entry {r[3]} "
                f"and refund entry {r[4]}"
            ),
        ),
        Check(
            "order entries that belong to no order",
            f"""SELECT e.id, e.kind FROM wallet_entry e
               WHERE e.kind IN ({_in(order_kinds)}) AND NOT EXISTS (
                 SELECT 1 FROM shop_order o
                 WHERE e.id IN (o.payment_entry_id, o.release_entry_id, o.refund_entry_id))
               ORDER BY e.id""",  # noqa: S608
            order_kinds,
            lambda r: f"entry {r[0]} ({r[1]}) belongs to no order",
        ),
        Check(
            "orders whose bookings differ from their status",
            f"""SELECT * FROM (
                 SELECT o.id, o.status, o.total, o.seller_amount, o.platform_fee, o.commission,
                   COALESCE(SUM(CASE WHEN a.kind = %s THEN l.amount ELSE 0 END), 0) AS provider,
                   COALESCE(SUM(CASE WHEN a.kind = %s THEN l.amount ELSE 0 END), 0) AS seller,
                   COALESCE(SUM(CASE WHEN a.kind = %s THEN l.amount ELSE 0 END), 0) AS revenue,
                   COALESCE(SUM(CASE WHEN a.kind = %s THEN l.amount ELSE 0 END), 0) AS pending,
                   COALESCE(SUM(CASE WHEN a.kind IN (%s, %s) THEN l.amount ELSE 0 END), 0)
                     AS earned,
                   COALESCE(SUM(CASE WHEN a.kind NOT IN ({_in(booked)})
                                THEN l.amount ELSE 0 END), 0) AS other
                 FROM shop_order o
                 LEFT JOIN wallet_line l
                   ON l.entry_id IN (o.payment_entry_id, o.release_entry_id, o.refund_entry_id)
                 LEFT JOIN wallet_account a ON a.id = l.account_id
                 GROUP BY o.id, o.status, o.total, o.seller_amount, o.platform_fee, o.commission
               ) t
               WHERE t.provider <> CASE WHEN t.status IN ({_in(PAID)}) THEN -t.total ELSE 0 END
                  OR t.seller <> CASE WHEN t.status IN ({_in(PAID)})
                                      THEN t.seller_amount ELSE 0 END
                  OR t.revenue <> CASE WHEN t.status IN ({_in(PAID)})
                                       THEN t.platform_fee ELSE 0 END
                  OR t.pending <> CASE WHEN t.status IN (%s, %s) THEN t.commission ELSE 0 END
                  OR t.earned <> CASE WHEN t.status = %s THEN t.commission ELSE 0 END
                  OR t.other <> 0
               ORDER BY t.id""",  # noqa: S608
            (
                kinds.PROVIDER_CLEARING,
                kinds.SELLER_PAYABLE,
                kinds.PLATFORM_REVENUE,
                kinds.COMMISSION_PENDING,
                kinds.COMMISSION_EARNED,
                kinds.COMMISSION_WRITEOFF,
                *booked,
                *PAID,
                *PAID,
                *PAID,
                "paid",
                "shipped",
                "delivered",
            ),
            lambda r: (
                f"order {r[0]} is {r[1]} for {r[2]} (seller {r[3]}, fee {r[4]}, commission "
                f"{r[5]}) but its entries book provider {r[6]}, seller {r[7]}, fee {r[8]}, "
                f"commission pending {r[9]} and earned {r[10]}, and {r[11]} elsewhere"
            ),
        ),
        Check(
            "orders whose commission went to someone else",
            """SELECT t.order_id, t.user_id, SUM(t.amount) FROM (
                 SELECT o.id AS order_id, a.user_id AS user_id, l.amount AS amount
                 FROM shop_order o
                 JOIN wallet_line l ON l.entry_id = o.payment_entry_id
                 JOIN wallet_account a ON a.id = l.account_id AND a.kind = %s
                 UNION ALL
                 SELECT ol.order_id, ol.affiliate_id, -ol.commission
                 FROM shop_orderline ol JOIN shop_order o ON o.id = ol.order_id
                 WHERE o.payment_entry_id IS NOT NULL AND ol.commission <> 0
               ) t GROUP BY t.order_id, t.user_id HAVING SUM(t.amount) <> 0
               ORDER BY t.order_id, t.user_id""",
            (kinds.COMMISSION_PENDING,),
            lambda r: (
                f"order {r[0]}'s payment books {r[2]:+d} more commission for member {r[1]} "
                "than their lines earn"
            ),
        ),
        Check(
            "stock below zero",
            """SELECT * FROM (
                 SELECT 'product' AS what, p.id, p.stock AS units FROM shop_product p
                   WHERE p.stock < 0
                 UNION ALL
                 SELECT 'variant', v.id, v.stock FROM shop_productvariant v WHERE v.stock < 0
                 UNION ALL
                 SELECT 'flash sale', f.id, f.remaining FROM shop_flashsale f
                   WHERE f.remaining < 0
               ) t ORDER BY t.what, t.id""",
            (),
            lambda r: f"{r[0]} {r[1]} has {r[2]} units",
        ),
        Check(
            "orders whose reservation does not fit their status",
            """SELECT o.id, o.status, o.stock_released FROM shop_order o
               WHERE (o.status = %s AND o.stock_released = %s)
                  OR (o.status = %s AND o.stock_released = %s)
               ORDER BY o.id""",
            ("pending", True, "cancelled", False),
            lambda r: (
                f"order {r[0]} is {r[1]} but its units were "
                + ("given back" if r[2] else "never given back")
            ),
        ),
        Check(
            "flash sales whose units sold differ from their orders",
            """SELECT * FROM (
                 SELECT f.id, f.quantity - f.remaining AS sold,
                        COALESCE((SELECT SUM(ol.quantity) FROM shop_orderline ol
                                  JOIN shop_order o ON o.id = ol.order_id
                                  WHERE o.flash_sale_id = f.id AND o.stock_released = %s), 0)
                          AS held
                 FROM shop_flashsale f
               ) t WHERE t.sold <> t.held ORDER BY t.id""",
            (False,),
            lambda r: f"flash sale {r[0]} sold {r[1]} units but its orders hold {r[2]}",
        ),
    ]
