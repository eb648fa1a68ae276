"""Read-only stock queries: stock on hand from balances, stock cards and transactions."""

# Stock pages read ``Balance`` (never a sum of the ledger); the stock card reads movements a page
# at a time through the (item, location, occurred_on, id) indexes. See DESIGN.md section 2.
# One module per page or concern; this package offers the names the views use.

from hilogistics.stock.queries._common import MAX_PER_PAGE, RowPage
from hilogistics.stock.queries.card import stock_card
from hilogistics.stock.queries.choices import category_names, families_query
from hilogistics.stock.queries.items import item_balances
from hilogistics.stock.queries.levels import (
    below_minimum_query,
    existing_item_ids,
    reorder_levels_for,
)
from hilogistics.stock.queries.on_hand import (
    OnHandFilters,
    OnHandRow,
    on_hand_page,
    on_hand_query,
    on_hand_row_converter,
)
from hilogistics.stock.queries.overview import (
    item_by_code,
    items_matching_query,
    location_summaries,
)
from hilogistics.stock.queries.transactions import (
    TransactionFilters,
    transaction_row,
    transactions_query,
    visible_transaction,
)

__all__ = [
    "MAX_PER_PAGE",
    "OnHandFilters",
    "OnHandRow",
    "RowPage",
    "TransactionFilters",
    "below_minimum_query",
    "category_names",
    "existing_item_ids",
    "families_query",
    "item_balances",
    "item_by_code",
    "items_matching_query",
    "location_summaries",
    "on_hand_page",
    "on_hand_query",
    "on_hand_row_converter",
    "reorder_levels_for",
    "stock_card",
    "transaction_row",
    "transactions_query",
    "visible_transaction",
]
