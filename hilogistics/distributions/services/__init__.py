"""Distribution operations: record, mark the slip returned, correct from the paper, print.

Every stock effect goes through ``ledger.post`` with the slip's document: ``distribution``
or ``consumption`` (place → recipients) and, for a correction, ``reversal``. Functions take
keyword arguments and an explicit actor, flush, and never commit.
"""

from hilogistics.distributions.services._common import (
    MAX_LINES,
    LineInput,
    Recipient,
    can_see,
    header_problems,
    may_distribute_at,
    reference_example,
    reference_problem,
    visible_distribution,
)
from hilogistics.distributions.services.preprinting import (
    MAX_PREPRINTED,
    can_see_preprinted,
    print_blank_slips,
    reserve_slips,
    visible_preprinted,
    void_slips,
)
from hilogistics.distributions.services.printing import print_day, print_slip
from hilogistics.distributions.services.recording import (
    correct_distribution,
    current_posting,
    mark_returned,
    record_distribution,
)

__all__ = [
    "MAX_LINES",
    "MAX_PREPRINTED",
    "LineInput",
    "Recipient",
    "can_see",
    "can_see_preprinted",
    "header_problems",
    "correct_distribution",
    "current_posting",
    "mark_returned",
    "may_distribute_at",
    "print_blank_slips",
    "print_day",
    "print_slip",
    "record_distribution",
    "reference_example",
    "reference_problem",
    "reserve_slips",
    "visible_distribution",
    "visible_preprinted",
    "void_slips",
]
