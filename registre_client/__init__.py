"""``registre-check``: the command-line client warehouses use to filter a cohort through the API."""
