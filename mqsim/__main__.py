"""``python -m mqsim``: the same as the ``mqsim`` command (:mod:`mqsim.cli`)."""

from mqsim.cli import main

raise SystemExit(main())
