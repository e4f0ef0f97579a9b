"""``/console/{slug}/bulk``: bulk issuance in the console (docs/bulk.md).

The pages follow the flow of :mod:`openler.services.bulk` (they call its services, as the
JSON API in :mod:`openler.api.platform.bulk` does)::

    /bulk                    the jobs, newest first (status, counts, who, when)
    /bulk/new                choose a published achievement, upload a CSV or XLSX roster
    /bulk/{id}/mapping       what each roster column holds (prefilled: saved or guessed)
    /bulk/{id}               validated: the validation report and "start";
                             started: the progress bar (htmx polls /bulk/{id}/progress)
    /bulk/{id}/cancel|resume a confirmation page, then the change
    /bulk/{id}/errors.csv    the validation error report; results.csv: the result report

Viewers see the jobs and their progress; issuers upload, map, start, cancel and resume,
and download the result report (it holds claim links). Every form works without
JavaScript; the progress page has a "Refresh" link, and htmx replaces the progress block
every second while the job runs (the last answer carries no trigger, so polling stops).

**A roster whose columns cannot be matched.** A job is staged when the roster is uploaded
(the file is not kept elsewhere). When neither the mapping saved for the achievement nor
a guess from the headers names a recipient column the roster has, the roster is staged
*unmapped*: under a placeholder mapping that puts the first column in the DID, e-mail and
evidence URL fields at once, so that every row is invalid (no value is both a DID and an
e-mail address, or both an e-mail address and an http URL) and nothing could be issued
from it even through the API. Its ``identifierType`` (:data:`UNMAPPED`) marks it; the
mapping page is the only way on, and the mapping saved for the achievement is put back
as it was.
"""

from __future__ import annotations

from openler.web.console.bulk import jobs, mapping, upload
from openler.web.console.bulk._common import UNMAPPED
from openler.web.templating import web_router

__all__ = ["UNMAPPED", "router"]

router = web_router()
# In this order: /bulk/new and /bulk/{id}/mapping before /bulk/{id} and /bulk/{id}/{action}.
for _module in (upload, mapping, jobs):
    router.include_router(_module.router)
