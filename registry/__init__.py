"""The registry's domain: identifiers, keyed hashing, oppositions and the audit chain.

Plain Python and SQLAlchemy. This package never imports Flask or the portal: the web layer,
the command line and the benchmarks all call the same services with a session they own.
"""
