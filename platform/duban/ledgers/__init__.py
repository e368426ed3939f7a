"""Ledgers (台账): the tables units keep as evidence, and the tabular machinery shared with screening.

Reading xlsx/csv safely (reader), mapping a file's headers to fields (mapping), validating cells
(cells, idnumber), writing official-layout xlsx (writer), and the generic ledger rows a campaign
type declares through the ``campaign_ledgers`` hook (models, services).
"""
