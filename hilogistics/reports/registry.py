"""Every report, by the name in its address, in the order the index lists them."""

from hilogistics.reports.distributions import DistributionReport
from hilogistics.reports.expiry import ExpiryReport
from hilogistics.reports.framework import Report
from hilogistics.reports.grants import GrantReport
from hilogistics.reports.months import MonthsReport
from hilogistics.reports.stock import StockReport
from hilogistics.reports.stockouts import StockOutReport

REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        StockReport(),
        DistributionReport(),
        ExpiryReport(),
        GrantReport(),
        StockOutReport(),
        MonthsReport(),
    )
}
