"""``python -m api.cli``: the ``ledger`` command.

``ledger serve`` starts its webhook dispatcher this way, with the same
interpreter.
"""

from api.cli import main

main()
