"""Count services: open, key, recount, post, abandon, print. They flush and never commit."""

from hilogistics.counts.services._common import above_threshold, can_see, visible_count
from hilogistics.counts.services.entry import (
    CountEntry,
    Recount,
    check_count_entries,
    record_counts,
    record_recounts,
)
from hilogistics.counts.services.opening import abandon_count, open_count
from hilogistics.counts.services.posting import count_reason, differences_of, post_count
from hilogistics.counts.services.printing import print_count_sheet

__all__ = [
    "CountEntry",
    "Recount",
    "above_threshold",
    "abandon_count",
    "can_see",
    "check_count_entries",
    "count_reason",
    "differences_of",
    "open_count",
    "post_count",
    "print_count_sheet",
    "record_counts",
    "record_recounts",
    "visible_count",
]
