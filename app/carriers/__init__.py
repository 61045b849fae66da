"""Carriers behind small interfaces: return labels (create, cancel) and tracking events, one adapter per carrier API.

Which adapter a carrier uses is set per carrier in the returns policy file (`label = "dhl_returns"`,
`tracking = "dhl"`); credentials come from the environment. A carrier without an adapter keeps the help
center's own label (a "Rücksendeschein" the shop itself collects) and receives scans by webhook.
"""
